// The kill-switch worker (`planktos build --kill-switch`, and the one the adapters' dev servers answer the worker's
// URL with): replaces planktos' worker, answers nothing (no fetch handler, so every request goes to the network as
// without planktos), deletes planktos' storage and unregisters itself. Open pages keep this worker until they
// unload; from their next load they are uncontrolled.
import { dbName } from '../shared/db-name.ts'
import { delay } from './delay.ts'
import { config, scope, type WorkerClient } from './scope.ts'

/** Deletes the site's IndexedDB database; settles when deleted, or once other tabs are asked to let go of it. */
function deleteStore (): Promise<void> {
  return new Promise(resolve => {
    const request = indexedDB.deleteDatabase(dbName(config.base))
    // Blocked means a tab still holds it open: the deletion goes on once that tab closes its connection
    // (planktos' own code closes it when asked), so there is nothing to wait for here.
    request.onsuccess = request.onerror = request.onblocked = () => resolve()
  })
}

/** Loads `page` again from the network; a page being unloaded cannot be navigated, and is left as it is. */
export function reloadPage (page: WorkerClient): Promise<unknown> {
  return page.navigate?.(page.url).catch(() => null) ?? Promise.resolve()
}

/**
 * Deletes planktos' storage, unregisters, then runs `reload` (which loads the pages showing a build that is gone
 * again from the network). Both are done again after that: a worker may still be opening the store for a navigation
 * it took just before, and an open queued after the first deletion creates the database anew; and a page it answered
 * just before may run install.js after the first unregister(), whose register() of the same script undoes the
 * removal in Chromium (test/browser-dev-loop.test.ts).
 */
export function removePlanktos (reload: () => Promise<unknown>): Promise<void> {
  const unregister = (): Promise<unknown> => scope.registration.unregister()
  return deleteStore()
    .then(unregister)
    .then(() => reload())
    .then(() => delay(1000)).then(deleteStore).then(unregister)
    .then(() => {}, () => {})
}

export function wireKillSwitch (): void {
  scope.addEventListener('install', () => { void scope.skipWaiting() })
  scope.addEventListener('activate', (event) => {
    // A dev server's kill switch reloads the pages the old worker answered (they were stale); activating made
    // this worker their controller. A deploy's kill switch leaves open pages alone: they are that site's pages.
    event.waitUntil(removePlanktos(async () => {
      if (config.reload) await Promise.all((await scope.clients.matchAll({ type: 'window' })).map(reloadPage))
    }))
  })
}
