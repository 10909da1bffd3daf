// The open pages of the site as the worker sees them: which ones listen for peer requests (their install
// script said `hello`) and what their downloaders report. Only those are asked: a message posted to a page
// before its install script runs can be dropped (Chromium does), and the worker would wait for nothing.
// The list is kept in the store as well, because the browser stops an idle worker within a minute and the
// next navigation must still find the page the visitor is leaving.
import type { Message } from '../shared/messages.ts'
import { scope, type WorkerClient } from './scope.ts'
import { store } from './storage.ts'

interface PageState {
  /** What the page's downloader last reported; absent until its downloader runs. */
  downloader?: {
    peers: number
    /** A tracker has answered, so `peers: 0` means "nobody", not "not yet". */
    settled: boolean
  }
}

const KEY = 'pages'
let pages: Map<string, PageState> | undefined

async function known (): Promise<Map<string, PageState>> {
  if (!pages) {
    const saved = await (await store())?.getMeta<Array<[string, PageState]>>(KEY).catch(() => undefined)
    pages ??= new Map(saved)
  }
  return pages
}

function save (): void {
  void store().then(db => db?.setMeta(KEY, [...pages ?? []])).catch(() => {})
}

/** A page's install script listens for peer requests. */
export async function noteHello (clientId: string): Promise<void> {
  const all = await known()
  if (!all.has(clientId)) all.set(clientId, {})
  save()
}

/** What a page's downloader reported. */
export async function noteDownloader (clientId: string, peers: number, settled: boolean): Promise<void> {
  (await known()).set(clientId, { downloader: { peers, settled } })
  save()
}

/**
 * The page to ask for files from peers, or undefined when asking is pointless: no open page listens, or every
 * running downloader has settled with no peers. `preferred` (the requesting page) wins among equals.
 */
export async function pageForPeers (preferred: string): Promise<WorkerClient | undefined> {
  const all = await known()
  const windows = await scope.clients.matchAll({ type: 'window' })
  let changed = false
  for (const id of all.keys()) {
    if (!windows.some(w => w.id === id)) changed = all.delete(id)
  }
  if (changed) save()
  const listening = windows.filter(w => all.has(w.id))
    .sort((a, b) => Number(b.id === preferred) - Number(a.id === preferred))
  const withPeers = listening.find(w => (all.get(w.id)!.downloader?.peers ?? 0) > 0)
  // A page whose downloader has not run or not heard from a tracker yet may still find peers; asking starts it.
  return withPeers ?? listening.find(w => !all.get(w.id)!.downloader?.settled)
}

/** Sends `message` to every open page of the site. */
export async function broadcast (message: Message): Promise<void> {
  for (const client of await scope.clients.matchAll({ type: 'window' })) client.postMessage(message)
}
