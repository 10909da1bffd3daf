// A deploy's worker arriving: it fetches its build's manifest while it installs, then takes over at once
// (`update: 'auto'`) or waits for `planktos.update()` while an older worker controls pages (`update: 'prompt'`).
// Taking over is safe for open pages: each stays pinned to the build it loaded with (pins.ts).
import type { Message } from '../shared/messages.ts'
import { prune } from './prune.ts'
import { scope, type ExtendableEvent, type FetchEvent } from './scope.ts'
import { becomeNewest, fetchOwnManifest, loadManifest } from './site.ts'

/** Below Chromium's 5-minute limit on one event, past which it stops the worker with whatever it still streams. */
const HOLD_MAX = 240_000

let release: (() => void) | undefined
// Chromium loses a navigation that reaches an old worker it restarted while a newer one waits to take over: it stops
// that worker at once as it hands it the navigation, which is then neither answered nor sent to the network
// (docs/engine.md, "A navigation lost when a deploy's worker takes over"). A worker that starts while a newer one
// waits therefore keeps its events open until a navigation comes, so it is busy when one does: Chromium lets it answer,
// then hands over. Decided at start: the one state where the loss happens. (A waiting worker started to be told to
// skip waiting sees itself there.)
const waiting = scope.registration?.waiting
const hold = waiting && waiting !== scope.serviceWorker && new Promise<void>(resolve => {
  const timer = setTimeout(resolve, HOLD_MAX)
  release = () => {
    clearTimeout(timer)
    resolve()
  }
})

/** Every fetch and message event goes through here first. */
export function holdOn (event: ExtendableEvent): void {
  if (!hold) return
  // The navigation's own event keeps the worker busy until it is answered.
  if ((event as FetchEvent).request?.mode === 'navigate') return release!()
  // With `update: 'prompt'` the new worker waits for planktos.update(), which a held event would delay instead.
  event.waitUntil(loadManifest().then((m): unknown => m?.settings.update !== 'prompt' && hold))
}

export function onInstall (event: ExtendableEvent): void {
  event.waitUntil((async () => {
    const own = await fetchOwnManifest()
    // The first worker has nobody to wait for; without its manifest, waiting would only delay the fix.
    if (own?.settings.update !== 'prompt' || !scope.registration.active) return scope.skipWaiting()
    // Uncontrolled pages too (a page that loaded before any worker), but only the site's: the origin may have others.
    for (const page of await scope.clients.matchAll({ type: 'window', includeUncontrolled: true })) {
      if (page.url.startsWith(scope.registration.scope)) page.postMessage({ type: 'update-waiting' } satisfies Message)
    }
  })().catch(() => scope.skipWaiting()))
}

export function onActivate (event: ExtendableEvent): void {
  // Claiming makes the first page's later requests (images, the next navigation) go through the worker.
  event.waitUntil(Promise.all([scope.clients.claim(), becomeNewest()]).then(() => {
    // Not awaited: fetches wait for activation to finish, and pruning can wait.
    void prune()
  }, () => {}))
}
