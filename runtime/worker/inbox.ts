// Messages from pages: pages and downloaders announcing themselves, pages listing what they loaded before the worker
// controlled them, and requests for the worker's counters.
import { isMessage, type Message } from '../shared/messages.ts'
import { skipWaiting } from './lifecycle.ts'
import { noteDownloader, noteHello, noteWebRTC } from './pages.ts'
import type { ExtendableMessageEvent, WorkerClient } from './scope.ts'
import { noteSeen, stays } from './seen.ts'
import { askUpdate, loadManifest } from './site.ts'
import { addTraffic, stats, statsSaved } from './stats.ts'

export function onMessage (event: ExtendableMessageEvent): void {
  const message = event.data
  if (!isMessage(message)) return
  const source = event.source as WorkerClient | null
  switch (message.type) {
    case 'hello':
      // A page runs: a new deploy's worker installed now can tell it it took over.
      askUpdate()
      // WebRTC first: once noted as this page's, the page may be asked for peers.
      event.waitUntil(noteWebRTC(message.webrtc).then(() => source?.id ? noteHello(source.id).then(() => startIfWanted(source)) : undefined))
      break
    case 'downloader':
      // A downloader runs: the visitor stays, and what its first page loaded is worth storing and seeding.
      if (source?.id) event.waitUntil(noteDownloader(source.id, message.webrtc, message.swarms).then(stays))
      break
    case 'traffic':
      addTraffic(message.traffic)
      break
    case 'seen':
      event.waitUntil(noteSeen(message.urls))
      break
    case 'skip-waiting':
      event.waitUntil(skipWaiting())
      break
    case 'stats-request': {
      const port = event.ports[0]
      // Once saved, so what a page reads survives the browser stopping the worker.
      event.waitUntil(statsSaved().then(() => port?.postMessage({ type: 'stats', stats } satisfies Message)))
      break
    }
  }
}

/**
 * Tells a page to start its downloader now when the site asks for work only the downloader does on every page:
 * prefetching, the debug overlay. A page that is not told waits until the worker asks it for peers (install.ts).
 */
async function startIfWanted (page: WorkerClient): Promise<void> {
  const settings = (await loadManifest())?.settings
  if (settings && (settings.prefetch !== 'none' || settings.debug || page.url.endsWith('#planktos-debug'))) page.postMessage({ type: 'start' } satisfies Message)
}
