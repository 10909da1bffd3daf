// The service worker's entry (runs in the worker): it only wires the events; the logic is in worker/.
import { onMessage } from './worker/inbox.ts'
import { onFetch } from './worker/route.ts'
import { scope } from './worker/scope.ts'
import { refreshManifest } from './worker/site.ts'

scope.addEventListener('install', (event) => {
  // A new deploy's worker takes over at once; pages keep working because every file is checked by hash.
  void scope.skipWaiting()
  event.waitUntil(refreshManifest(true).then(() => {}, () => {}))
})

// Claiming makes the first page's later requests (images, the next navigation) go through the worker.
scope.addEventListener('activate', (event) => event.waitUntil(scope.clients.claim()))
scope.addEventListener('fetch', onFetch)
scope.addEventListener('message', onMessage)
