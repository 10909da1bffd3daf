// Messages from pages: pages and downloaders announcing themselves, pages listing what they loaded before the worker
// controlled them, and requests for the worker's counters.
import { isMessage, type Message } from '../shared/messages.ts'
import { sitePath } from '../shared/urls.ts'
import { fromOrigin } from './origin.ts'
import { noteDownloader, noteHello } from './pages.ts'
import type { ExtendableMessageEvent, WorkerClient } from './scope.ts'
import { loadManifest, lookup, urlRules } from './site.ts'
import { stats } from './stats.ts'
import { store } from './storage.ts'

export function onMessage (event: ExtendableMessageEvent): void {
  const message = event.data
  if (!isMessage(message)) return
  const source = event.source as WorkerClient | null
  switch (message.type) {
    case 'hello':
      if (source?.id) event.waitUntil(noteHello(source.id))
      break
    case 'downloader':
      if (source?.id) event.waitUntil(noteDownloader(source.id, message.peers, message.settled))
      break
    case 'seen':
      event.waitUntil(storeSeen(message.urls))
      break
    case 'stats-request':
      event.ports[0]?.postMessage({ type: 'stats', stats } satisfies Message)
      break
  }
}

/**
 * Stores the site files a page loaded before the worker controlled it. They come from the HTTP cache
 * (`force-cache`), so the origin is not asked again; each is verified like any origin answer.
 */
async function storeSeen (urls: string[]): Promise<void> {
  const manifest = await loadManifest()
  const db = await store()
  if (!manifest || !db) return
  const rules = urlRules(manifest)
  for (const url of new Set(urls)) {
    const path = sitePath(url, 'GET', rules)
    const found = path === null ? undefined : await lookup(path)
    if (!found) continue
    try {
      if ((await db.record(found.entry.sha256))?.complete) continue
      await (await fromOrigin(found.entry, url, undefined, 'force-cache')).stored
    } catch {
      // One file failing to store only means it will be fetched again later.
    }
  }
}
