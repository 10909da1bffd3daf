// Answering the worker's request for a file (runs in the page): select the file's pieces (and, for a
// navigation, the new page's subresources), report progress while peers fill them, then hand over the
// verified file in chunks on request. Only bytes of pieces WebTorrent verified, forming a file that matches
// its SHA-256, are ever sent.
import type { Torrent } from 'webtorrent/dist/webtorrent.min.js'
import { sha256 } from '../shared/hash.ts'
import { piecesOf } from '../shared/layout.ts'
import type { DownloaderStats, FileRef, Message, MessageOf } from '../shared/messages.ts'
import { PortReader } from '../shared/port.ts'
import type { Store } from '../shared/store.ts'
import type { Swarm } from './swarm.ts'

/** Bytes per chunk handed to the worker: large enough to be fast, small enough to bound memory per pull. */
const CHUNK = 1024 * 1024
/** How often progress is reported at most. */
const PROGRESS_EVERY = 250

export interface Env {
  swarm: Swarm
  store: Store
  stats: DownloaderStats
  /** Sends the traffic counted so far to the worker. */
  flush: () => void
}

interface Context extends Env {
  /** Called on every sign of progress (bytes arriving, pieces verified). */
  alive: () => void
  signal: AbortSignal
}

/** Ports of requests still being answered: when the page goes away, each gets a `miss` at once. */
const open = new Set<MessagePort>()

/** The page is going away: the worker should not wait for any answer from it. */
export function abandonAll (): void {
  for (const port of open) port.postMessage({ type: 'miss', reason: 'the page went away' } satisfies Message)
  open.clear()
}

/** Answers one `peer-request` on `port`; every way out, a crash included, tells the worker something. */
export async function answer (request: MessageOf<'peer-request'>, port: MessagePort, env: Env): Promise<void> {
  open.add(port)
  env.stats.requests++
  try {
    await exchange(request, port, env)
  } catch {
    // If even this fails, the worker's own deadlines end its wait.
    try { if (open.has(port)) port.postMessage({ type: 'miss', reason: 'the downloader failed' } satisfies Message) } catch {}
  } finally {
    open.delete(port)
  }
}

async function exchange (request: MessageOf<'peer-request'>, port: MessagePort, env: Env): Promise<void> {
  const { peerTimeout } = env.swarm.manifest.settings
  const stall = Math.max(15_000, 2 * peerTimeout)
  const abort = new AbortController()
  let reported = 0
  let received = 0
  const ctx: Context = {
    ...env,
    signal: abort.signal,
    alive: () => {
      if (Date.now() - reported < PROGRESS_EVERY) return
      reported = Date.now()
      port.postMessage({ type: 'progress', bytes: received } satisfies Message)
    }
  }
  const onDownload = (n: number): void => {
    received += n
    ctx.alive()
  }
  // The worker cancels when the origin answered first, or when its own request went away.
  port.onmessage = (e) => { if ((e.data as Message | undefined)?.type === 'cancel') abort.abort() }
  env.swarm.client.on('download', onDownload)
  let bytes: Uint8Array | undefined
  try {
    const deps = Promise.all(request.deps.map(d => fileBytes(d, ctx, stall).catch(() => undefined)))
    bytes = await fileBytes(request.file, ctx, stall).catch(() => undefined)
    // The page asking for these is about to replace this one: give its subresources a bounded head start.
    if (bytes && request.deps.length) await Promise.race([deps, new Promise(resolve => setTimeout(resolve, peerTimeout))])
  } finally {
    env.swarm.client.removeListener('download', onDownload)
    port.onmessage = null
  }
  // The worker's counters include this page's traffic before it hears the answer (the page may be leaving).
  env.flush()
  if (!open.has(port)) return
  if (!bytes || abort.signal.aborted) {
    port.postMessage({ type: 'miss', reason: 'peers cannot supply this file now' } satisfies Message)
    port.close()
    return
  }
  const reader = new PortReader(port)
  try {
    reader.post({ type: 'ready', size: bytes.length })
    for (let at = 0; ; at += CHUNK) {
      const m = await reader.next(stall)
      if (m?.type !== 'pull') return
      const chunk = bytes.slice(at, at + CHUNK)
      const last = at + CHUNK >= bytes.length
      reader.post({ type: 'chunk', bytes: chunk.buffer, last }, [chunk.buffer])
      if (last) return
    }
  } finally {
    reader.close()
  }
}

/** The verified file from the store, fetching its pieces from peers first if needed; undefined when that fails. */
async function fileBytes (file: FileRef, ctx: Context, stall: number): Promise<Uint8Array | undefined> {
  const { swarm, store, stats } = ctx
  const joined = await swarm.join(file.infoHash)
  const entry = joined?.part.files.find(f => f.path === file.path && f.sha256 === file.sha256)
  if (!joined || !entry) return undefined
  const { torrent } = joined
  const wasComplete = (await store.record(entry.sha256))?.complete
  if (!wasComplete) {
    const range = piecesOf(entry, torrent.pieceLength)
    if (range && !hasPieces(torrent, range)) {
      if (!await hasPeers(torrent, () => joined.alone, swarm.manifest.settings.peerTimeout)) return undefined
      if (!await download(torrent, range, ctx, stall)) return undefined
    }
  }
  const bytes = await store.read(entry.sha256, 0, entry.size)
  if (!bytes || bytes.length !== entry.size || await sha256(bytes) !== entry.sha256) {
    // Pieces passed their SHA-1 but the file fails its SHA-256: the store changed under us, or the torrent
    // and the manifest disagree. Either way these bytes must not reach a page.
    stats.verifyFailures++
    return undefined
  }
  if (!wasComplete) {
    await store.markComplete(entry.sha256)
    // Peers' bytes count against the storage budget like the origin's: make room, oldest first.
    const evicted = await store.evict(swarm.manifest.settings.maxStorage, new Set([entry.sha256])).catch(() => [])
    if (evicted.length) swarm.evicted(evicted)
  }
  return bytes
}

function hasPieces (torrent: Torrent, [first, last]: [number, number]): boolean {
  for (let i = first; i <= last; i++) if (!torrent.bitfield.get(i)) return false
  return true
}

const isPeer = (t: Torrent): boolean => t.wires.some(w => w.type !== 'webSeed')

/** Whether the torrent has a peer now or gets one within `ms`; a tracker saying nobody is there ends the wait. */
function hasPeers (torrent: Torrent, alone: () => boolean, ms: number): Promise<boolean> {
  return new Promise(resolve => {
    const deadline = Date.now() + ms
    const check = (): void => {
      if (isPeer(torrent)) return resolve(true)
      if (alone() || torrent.destroyed || Date.now() >= deadline) return resolve(false)
      setTimeout(check, 50)
    }
    check()
  })
}

/** Selects pieces [first, last] and waits until all are verified; false on cancel or a stall. */
function download (torrent: Torrent, [first, last]: [number, number], ctx: Context, stall: number): Promise<boolean> {
  return new Promise(resolve => {
    let timer = setTimeout(() => finish(false), stall)
    const finish = (ok: boolean): void => {
      clearTimeout(timer)
      torrent.removeListener('verified', onVerified)
      torrent.removeListener('download', onDownload)
      ctx.signal.removeEventListener('abort', onAbort)
      // A finished selection is dropped by WebTorrent itself; an abandoned one is dropped here. Selections are
      // counted, so a boundary piece another request still wants stays selected.
      if (!ok && !torrent.destroyed) torrent._deselect(first, last, true)
      resolve(ok)
    }
    const onDownload = (): void => {
      clearTimeout(timer)
      timer = setTimeout(() => finish(false), stall)
    }
    const onVerified = (i: number): void => {
      if (i < first || i > last) return
      onDownload()
      ctx.alive()
      if (hasPieces(torrent, [first, last])) finish(true)
    }
    const onAbort = (): void => finish(false)
    ctx.signal.addEventListener('abort', onAbort)
    torrent.on('verified', onVerified)
    torrent.on('download', onDownload)
    // Another request may have completed these pieces while this one waited for a peer.
    if (hasPieces(torrent, [first, last])) return finish(true)
    torrent._select(first, last, 1, undefined, true)
    torrent.critical(first, last)
  })
}
