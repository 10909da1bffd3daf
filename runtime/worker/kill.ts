// The kill-switch worker (`planktos build --kill-switch`): replaces planktos' worker, answers nothing (no fetch
// handler, so every request goes to the network as without planktos), deletes planktos' storage and unregisters
// itself. Open pages keep this worker until they unload; from their next load they are uncontrolled.
import { dbName } from '../shared/db-name.ts'
import { delay } from './delay.ts'
import { config, scope } from './scope.ts'

/** Deletes the site's IndexedDB database; settles when deleted, or once other tabs are asked to let go of it. */
function deleteStore (): Promise<void> {
  return new Promise(resolve => {
    const request = indexedDB.deleteDatabase(dbName(config.base))
    // Blocked means a tab still holds it open: the deletion goes on once that tab closes its connection
    // (planktos' own code closes it when asked), so there is nothing to wait for here.
    request.onsuccess = request.onerror = request.onblocked = () => resolve()
  })
}

export function wireKillSwitch (): void {
  scope.addEventListener('install', () => { void scope.skipWaiting() })
  scope.addEventListener('activate', (event) => {
    // Deleted again once unregistered: the old worker may still be opening the store for a navigation it took
    // just before this worker activated, and an open queued after the first deletion creates the database anew.
    event.waitUntil(deleteStore().then(() => scope.registration.unregister()).then(() => delay(1000)).then(deleteStore).then(() => {}, () => {}))
  })
}
