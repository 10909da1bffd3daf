// The open pages of the site as the worker sees them: which ones listen for peer requests (their install
// script said `hello`) and what their downloaders report per swarm. Only those are asked: a message posted to a
// page before its install script runs can be dropped (Chromium does), and the worker would wait for nothing.
// The list is kept in the store as well, because the browser stops an idle worker within a minute and the
// next navigation must still find the page the visitor is leaving.
import type { Message, SwarmState } from '../shared/messages.ts'
import { peersCanHelp } from './peers-help.ts'
import { prune } from './prune.ts'
import { scope, type WorkerClient } from './scope.ts'
import { readMeta, store, writeMeta } from './storage.ts'

interface PageState {
  /** What the page's downloader last reported; absent until its downloader runs. */
  downloader?: {
    webrtc: boolean
    /** By infohash; a shard not listed is not joined yet. */
    swarms: Record<string, SwarmState>
  }
}

const KEY = 'pages'
let pages: Map<string, PageState> | undefined
const WEBRTC_KEY = 'webrtc'
/** What this browser's pages last said of WebRTC; kept in the store, as a restarted worker must not wait either. */
let webrtc: boolean | undefined
/** Callbacks waiting for a page's `hello`, by client id. */
const waiting = new Map<string, Array<() => void>>()

async function known (): Promise<Map<string, PageState>> {
  if (!pages) {
    const saved = await readMeta<Array<[string, PageState]>>(KEY)
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
  for (const wake of waiting.get(clientId) ?? []) wake()
  waiting.delete(clientId)
  // A page has loaded, so the one it replaced is gone: its build may no longer be needed.
  await prune()
}

/** A page said whether this browser has WebRTC. */
export async function noteWebRTC (available: boolean): Promise<void> {
  if (webrtc === available) return
  webrtc = available
  await writeMeta(WEBRTC_KEY, available)
}

/**
 * Whether pages of this browser can get bytes from peers at all: false once a page said the browser has no WebRTC.
 * Then no page is asked and none is waited for; every file comes from the store or the origin at once.
 */
export async function peersPossible (): Promise<boolean> {
  webrtc ??= await readMeta<boolean>(WEBRTC_KEY)
  return webrtc !== false
}

/** Whether page `clientId` listens for peer requests now. */
export async function listens (clientId: string): Promise<boolean> {
  return (await known()).has(clientId)
}

/** Whether page `clientId` listens for peer requests within `ms` (its install script may not have run yet). */
export async function listensSoon (clientId: string, ms: number): Promise<boolean> {
  if (await listens(clientId)) return true
  if (!await peersPossible()) return false
  if (!await scope.clients.get(clientId)) return false
  return new Promise(resolve => {
    const timer = setTimeout(() => resolve(false), ms)
    const list = waiting.get(clientId) ?? []
    waiting.set(clientId, list)
    list.push(() => {
      clearTimeout(timer)
      resolve(true)
    })
  })
}

/** What a page's downloader reported. */
export async function noteDownloader (clientId: string, webrtc: boolean, swarms: SwarmState[]): Promise<void> {
  (await known()).set(clientId, { downloader: { webrtc, swarms: Object.fromEntries(swarms.map(s => [s.infoHash, s])) } })
  save()
}

/** Whether an open page's downloader is connected to peers in the swarm of shard `infoHash`. */
export async function pageWithPeers (infoHash: string): Promise<boolean> {
  const all = await known()
  return (await scope.clients.matchAll({ type: 'window' })).some(w => (all.get(w.id)?.downloader?.swarms[infoHash]?.peers ?? 0) > 0)
}

/**
 * The page to ask for a file of shard `infoHash` from peers, or undefined when asking is pointless (peersCanHelp):
 * the build names no tracker (`trackers`), no open page listens, or every downloader has heard from a tracker that
 * nobody else is in this swarm (or has no WebRTC). `preferred` (the requesting page) wins among equals. A page whose
 * downloader has not run is asked (which starts it) only with `wake` (peers-help.ts, worthStarting): a bouncing
 * visitor's page must not fetch the downloader for a small late request.
 */
export async function pageForPeers (preferred: string, infoHash: string, trackers: number, wake = true): Promise<WorkerClient | undefined> {
  const all = await known()
  const windows = await scope.clients.matchAll({ type: 'window' })
  let changed = false
  for (const id of all.keys()) {
    if (!windows.some(w => w.id === id)) changed = all.delete(id)
  }
  if (changed) save()
  const swarm = (w: WorkerClient): { webrtc: boolean, state?: SwarmState } | undefined => {
    const d = all.get(w.id)!.downloader
    return d && { webrtc: d.webrtc, state: d.swarms[infoHash] }
  }
  const listening = windows.filter(w => all.has(w.id))
    .sort((a, b) => Number(b.id === preferred) - Number(a.id === preferred))
  const withPeers = listening.find(w => (swarm(w)?.state?.peers ?? 0) > 0)
  // A page whose downloader has not run, not joined this shard or not been told by a tracker that nobody is
  // there may still find peers; asking starts it.
  const mayFind = listening.find(w => {
    const s = swarm(w)
    return s ? s.webrtc && !s.state?.alone : wake
  })
  // browserRunsPeers: the install script's word that this browser has no WebRTC (peersPossible).
  if (!peersCanHelp({ trackers, browserRunsPeers: await peersPossible(), pageHasPeers: !!withPeers, pageMayFindPeers: !!mayFind })) return undefined
  return withPeers ?? mayFind
}

/** Sends `message` to every open page of the site. */
export async function broadcast (message: Message): Promise<void> {
  for (const client of await scope.clients.matchAll({ type: 'window' })) client.postMessage(message)
}
