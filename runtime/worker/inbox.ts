// Messages from pages: pages and downloaders announcing themselves, pages listing what they loaded before the worker
// controlled them, and requests for the worker's counters.
import { isMessage, type Message } from '../shared/messages.ts'
import { sitePath } from '../shared/urls.ts'
import { fromOrigin } from './origin.ts'
import { noteDownloader, noteHello, noteWebRTC } from './pages.ts'
import { scope, type ExtendableMessageEvent, type WorkerClient } from './scope.ts'
import { loadManifest, lookup, urlRules } from './site.ts'
import { keepCopy, runtimeKey } from './runtime-files.ts'
import { addTraffic, stats, statsSaved } from './stats.ts'
import { store } from './storage.ts'

export function onMessage (event: ExtendableMessageEvent): void {
  const message = event.data
  if (!isMessage(message)) return
  const source = event.source as WorkerClient | null
  switch (message.type) {
    case 'hello':
      // WebRTC first: once noted as this page's, the page may be asked for peers.
      event.waitUntil(noteWebRTC(message.webrtc).then(() => source?.id ? noteHello(source.id).then(() => startIfWanted(source)) : undefined))
      break
    case 'downloader':
      if (source?.id) event.waitUntil(noteDownloader(source.id, message.webrtc, message.swarms))
      break
    case 'traffic':
      addTraffic(message.traffic)
      break
    case 'seen':
      event.waitUntil(storeSeen(message.urls))
      break
    case 'skip-waiting':
      event.waitUntil(scope.skipWaiting())
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

/**
 * Stores the site files a page loaded before the worker controlled it. They come from the HTTP cache only
 * (`only-if-cached`): a file the cache does not hold yet (a page that is still arriving, as when the visitor clicks
 * the moment the worker takes over) is left for later rather than fetched from the origin a second time. Each is
 * verified like any origin answer.
 */
async function storeSeen (urls: string[]): Promise<void> {
  const manifest = await loadManifest()
  const db = await store()
  if (!manifest || !db) return
  const rules = urlRules(manifest)
  for (const url of new Set(urls)) {
    let u: URL
    try { u = new URL(url) } catch { continue }
    const runtime = u.search === '' ? runtimeKey(u.pathname) : null
    // planktos' own scripts too, so a later page can start them with the origin down.
    if (runtime) {
      await fetch(url, { cache: 'only-if-cached', mode: 'same-origin' }).then(res => res.ok ? keepCopy(runtime, res) : undefined).catch(() => {})
      continue
    }
    const path = sitePath(url, 'GET', rules)
    const found = path === null ? undefined : await lookup(path)
    if (!found) continue
    try {
      if ((await db.record(found.entry.sha256))?.complete) continue
      await (await fromOrigin(found, url, undefined, 'only-if-cached')).stored
    } catch {
      // One file failing to store only means it will be fetched again later.
    }
  }
}
