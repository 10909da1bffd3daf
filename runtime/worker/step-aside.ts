// A worker whose site no longer has a planktos manifest steps aside: the origin answered 404 for it, so what is
// there now is not a planktos deploy (a dev server on the port a planktos build was previewed on, or a site that
// dropped planktos without a kill switch). Serving on from the store would show stale pages forever, since a 404
// for the worker's script does not remove a worker. A network failure is not a 404: offline, the store serves on.
// A host that answers 404 for the manifest for a moment during a deploy costs its visitors their store, once.
import { delay } from './delay.ts'
import { removePlanktos } from './kill.ts'
import { scope } from './scope.ts'

/** How long a page whose navigation is under way is waited for before it is left as it is. */
const PAGE_WAIT = 10_000

let aside: Promise<void> | undefined

/** Whether the worker has stepped aside: every request is then the network's, as without planktos. */
export function steppedAside (): boolean {
  return aside !== undefined
}

/** Resolves once a worker that stepped aside has cleaned up (at once otherwise): keeps the worker alive for it. */
export function leaving (): Promise<void> {
  return aside ?? Promise.resolve()
}

/**
 * Reloads the pages this worker controls (it answered them from a build that is gone), including the one whose
 * navigation found the 404: Chromium lists a page only once it has loaded, and a page not ready to be navigated
 * refuses, so the list is looked at again until each is reloaded, for PAGE_WAIT at most. A reloaded page is not
 * controlled, so it is not listed again.
 */
async function reloadControlled (): Promise<void> {
  const done = new Set<string>()
  for (const limit = Date.now() + PAGE_WAIT; Date.now() < limit; await delay(100)) {
    const pages = await scope.clients.matchAll({ type: 'window' })
    for (const page of pages) {
      if (!done.has(page.id) && await page.navigate?.(page.url).then(() => true, () => false)) done.add(page.id)
    }
    // Once a page was reloaded and none is left: the store is deleted again soon after (removePlanktos).
    if (done.size && pages.every(p => done.has(p.id))) return
  }
}

/** Called with the origin's status for the manifest; 404 and 410 mean planktos is gone from the site. */
export function manifestStatus (status: number): void {
  if (status !== 404 && status !== 410) return
  aside ??= removePlanktos(reloadControlled)
}
