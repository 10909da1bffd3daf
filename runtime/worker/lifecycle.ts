// A deploy's worker arriving: it fetches its build's manifest while it installs, then takes over at once
// (`update: 'auto'`) or waits for `planktos.update()` while an older worker controls pages (`update: 'prompt'`).
// Taking over is safe for open pages: each stays pinned to the build it loaded with (pins.ts).
import type { Message } from '../shared/messages.ts'
import { prune } from './prune.ts'
import { scope, type ExtendableEvent } from './scope.ts'
import { becomeNewest, fetchOwnManifest } from './site.ts'

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
