// A deploy's worker arriving: it fetches its build's manifest while it installs, then takes over at once
// (`update: 'auto'`) or waits for `planktos.update()` while an older worker controls pages (`update: 'prompt'`).
// Taking over is safe for open pages: each stays pinned to the build it loaded with (pins.ts).
import type { Message } from '../shared/messages.ts'
import { delay } from './delay.ts'
import { prune } from './prune.ts'
import { scope, type ExtendableEvent, type FetchEvent } from './scope.ts'
import { becomeNewest, fetchOwnManifest } from './site.ts'
import { store, writeMeta } from './storage.ts'

/**
 * Chromium removes an old worker 5 minutes after the new one called skipWaiting(), even while it answers requests
 * (`kMaxLameDuckTime`): the hold ends before, so that removal does not meet a navigation the hold kept for it.
 */
const HOLD_MAX = 240_000
/** Store key: when a new worker called skipWaiting(), for the old one to know (it cannot ask the new one). */
const SKIPPED = 'skipped-at'

/** skipWaiting(), noted first for the old worker. */
export async function skipWaiting (): Promise<void> {
  await writeMeta(SKIPPED, Date.now())
  return scope.skipWaiting()
}

let release = (): void => {}
// Chromium loses a navigation that reaches an old worker it restarted while a newer one waits to take over: it stops
// that worker at once as it hands it the navigation, which is then neither answered nor sent to the network
// (docs/engine.md, "A navigation lost when a deploy's worker takes over"). The active worker therefore, when it
// starts while a newer one waits having called skipWaiting(), keeps its events open until a navigation comes, so it
// is busy when one does: Chromium lets it answer, then hands over. (A worker without `self.serviceWorker` cannot tell
// whether it is the active one, and holds nothing.)
const me = scope.serviceWorker
const hold = me && me === scope.registration.active && scope.registration.waiting && Promise.race([
  new Promise<void>(resolve => { release = resolve }),
  store().then(db => db?.getMeta<number>(SKIPPED)).then(at => delay(Math.max(0, (at ?? 0) + HOLD_MAX - Date.now())), () => {})
])

/** Every fetch and message event goes through here first. */
export function holdOn (event: ExtendableEvent): void {
  if (!hold) return
  // The navigation's own event keeps the worker busy until it is answered.
  if ((event as FetchEvent).request?.mode === 'navigate') return release()
  event.waitUntil(hold)
}

export function onInstall (event: ExtendableEvent): void {
  event.waitUntil((async () => {
    const own = await fetchOwnManifest()
    // The first worker has nobody to wait for; without its manifest, waiting would only delay the fix.
    if (own?.settings.update !== 'prompt' || !scope.registration.active) return skipWaiting()
    // Uncontrolled pages too (a page that loaded before any worker), but only the site's: the origin may have others.
    for (const page of await scope.clients.matchAll({ type: 'window', includeUncontrolled: true })) {
      if (page.url.startsWith(scope.registration.scope)) page.postMessage({ type: 'update-waiting' } satisfies Message)
    }
  })().catch(skipWaiting))
}

export function onActivate (event: ExtendableEvent): void {
  // Claiming makes the first page's later requests (images, the next navigation) go through the worker.
  // The note of its skipWaiting() is done with: left, it would make an old worker hold for a later deploy's worker
  // that waits for planktos.update().
  event.waitUntil(Promise.all([scope.clients.claim(), becomeNewest(), store().then(db => db?.deleteMeta(SKIPPED))]).then(() => {
    // Not awaited: fetches wait for activation to finish, and pruning can wait.
    void prune()
  }, () => {}))
}
