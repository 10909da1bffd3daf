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

/**
 * Deletes planktos' storage, unregisters, and loads `reload` (pages showing a build that is gone) again from the
 * network. The store is deleted again once unregistered: a worker may still be opening it for a navigation it
 * took just before, and an open queued after the first deletion creates the database anew.
 */
export function removePlanktos (reload: () => Promise<WorkerClient[]>): Promise<void> {
  return deleteStore()
    .then(() => scope.registration.unregister())
    .then(() => reload())
    // A page being unloaded cannot be navigated: one failing must not keep the others stale.
    .then(pages => Promise.all(pages.map(page => page.navigate?.(page.url).catch(() => null))))
    .then(() => delay(1000)).then(deleteStore)
    .then(() => {}, () => {})
}

export function wireKillSwitch (): void {
  scope.addEventListener('install', () => { void scope.skipWaiting() })
  scope.addEventListener('activate', (event) => {
    // A dev server's kill switch reloads the pages the old worker answered (they were stale); activating made
    // this worker their controller. A deploy's kill switch leaves open pages alone: they are that site's pages.
    event.waitUntil(removePlanktos(async () => config.reload ? await scope.clients.matchAll({ type: 'window' }) : []))
  })
}
