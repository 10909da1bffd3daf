// A worker whose site no longer has a planktos manifest steps aside: the origin answered 404 for it, so what is
// there now is not a planktos deploy (a dev server on the port a planktos build was previewed on, or a site that
// dropped planktos without a kill switch). Serving on from the store would show stale pages forever, since a 404
// for the worker's script does not remove a worker. A network failure is not a 404: offline, the store serves on.
// A host that answers 404 for the manifest for a moment during a deploy costs its visitors their store, once.
import { delay } from './delay.ts'
import { reloadPage, removePlanktos } from './kill.ts'
import { loadPins } from './pins.ts'
import { scope, type WorkerClient } from './scope.ts'

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

/** Page `id` once it can be navigated: a page whose navigation is under way is not listed until it has loaded. */
async function pageOf (id: string): Promise<WorkerClient | undefined> {
  for (const limit = Date.now() + PAGE_WAIT; Date.now() < limit; await delay(100)) {
    const page = await scope.clients.get(id).catch(() => undefined)
    if (page) return page.type === 'window' ? page : undefined
  }
}

/**
 * Reloads the pages this worker answered from a build: the ones whose navigation it took (pinned), including the one
 * whose navigation found the 404, which may not have loaded yet. Each as soon as it can be.
 */
async function reloadAnswered (ids: string[]): Promise<void> {
  await Promise.all(ids.map(async id => {
    const page = await pageOf(id)
    if (page) await reloadPage(page)
  }))
}

/** Called with the origin's status for the manifest; 404 and 410 mean planktos is gone from the site. */
export function manifestStatus (status: number): void {
  if (status !== 404 && status !== 410) return
  // The pins are read before the store goes: they are kept there.
  aside ??= loadPins().then(pins => removePlanktos(() => reloadAnswered([...pins.keys()])))
}
