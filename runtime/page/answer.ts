// Answering the worker's request for a file (runs in the page): select the file's pieces (and, for a
// navigation, the new page's subresources), report progress while peers fill them, and hand the file over in
// order, one chunk per pull, each as soon as WebTorrent has verified (SHA-1) and stored the pieces holding it.
// The worker checks the whole file's SHA-256; subresources fetched along are checked here, since the worker
// never sees them.
import type { Torrent } from 'webtorrent/dist/webtorrent.min.js'
import { sha256 } from '../shared/hash.ts'
import { piecesOf, piecesWithin } from '../shared/layout.ts'
import type { FileEntry } from '../shared/manifest.ts'
import type { DownloaderStats, FileRef, Message, MessageOf } from '../shared/messages.ts'
import { PortReader } from '../shared/port.ts'
import { storeWhole } from './file-exchange.ts'
import type { WriteBehind } from './write-behind.ts'
import { GROUP } from './share.ts'
import { listen } from './listeners.ts'
import type { Joined, Swarm } from './swarm.ts'
import { deselectPieces, selectPieces } from './webtorrent-internals.ts'

/** Bytes per chunk handed to the worker at most: large enough to be fast, small enough to bound memory per pull. */
const CHUNK = 1024 * 1024
/**
 * A file at least this large (one group of the crowd's split, share.ts) is fetched piece by piece, from peers and the
 * web seed, each piece verified as it comes and the urgent window bounding how long peers may hold it: never as one
 * whole-file transfer from a single peer, which a slow peer could drag out for as long as it keeps sending. Below it,
 * one request costs about the same either way.
 */
const PIECEWISE = GROUP
/** How often progress is reported at most. */
const PROGRESS_EVERY = 250

export interface Env {
  swarm: Swarm
  store: WriteBehind
  stats: DownloaderStats
  /** Sends the traffic counted so far to the worker. */
  flush: () => void
}

interface Context extends Env {
  /**
   * Called with the verified bytes a piece (or a file fetched whole) added to a file this request asked for. Nothing
   * else counts: a peer sending pieces nobody asked for, or another request's download, must not keep this one waiting.
   */
  alive: (bytes: number) => void
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
  const reader = new PortReader(port)
  let reported = 0
  let verified = 0
  const ctx: Context = {
    ...env,
    signal: abort.signal,
    alive: (bytes) => {
      verified += bytes
      if (Date.now() - reported < PROGRESS_EVERY || !open.has(port)) return
      reported = Date.now()
      reader.post({ type: 'progress', bytes: verified })
    }
  }
  // Seen at once, even while waiting for pieces (the reader only sees it at the next read).
  port.addEventListener('message', e => { if ((e.data as Message | undefined)?.type === 'cancel') abort.abort() })
  let pieces: Pieces | undefined
  try {
    const deps = Promise.all(request.deps.map(d => fileBytes(d, ctx, stall).catch(() => undefined)))
    pieces = await select(request.file, request.from ?? 0, ctx, stall)
    if (!open.has(port)) return
    if (!pieces) {
      env.flush()
      reader.post({ type: 'miss', reason: 'peers cannot supply this file now' })
      return
    }
    reader.post({ type: 'ready', size: request.file.size })
    const { size, sha256 } = request.file
    const started = Date.now()
    for (let at = request.from ?? 0; at < size;) {
      const m = await reader.next(stall)
      // The worker cancels when it has what it needs, when the origin won, or when its request went away.
      if (m?.type !== 'pull') return
      const end = await pieces.verified(at, Math.min(size, at + CHUNK), at - (request.from ?? 0), started)
      const bytes = end && await env.store.read(sha256, at, end)
      // Pieces are written behind (write-behind.ts). The worker reads the bytes before the chunk it holds from the store
      // (another response, a seek back), and marks the file stored once it has the last chunk: those must be in first.
      if (!bytes || !await env.store.settled(sha256, 0, end === size ? end : at) || !open.has(port)) {
        if (open.has(port)) reader.post({ type: 'miss', reason: 'peers stopped supplying this file' })
        return
      }
      // The page asking for these is about to replace this one: give its subresources a bounded head start.
      if (end === size && request.deps.length) await Promise.race([deps, new Promise(resolve => setTimeout(resolve, peerTimeout))])
      // The worker's counters include this page's traffic before it hears the end (the page may be leaving).
      if (end === size) env.flush()
      const chunk = bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.length ? bytes : bytes.slice()
      reader.post({ type: 'chunk', bytes: chunk.buffer as ArrayBuffer, last: end === size }, [chunk.buffer as ArrayBuffer])
      at = end
    }
  } finally {
    pieces?.release()
    reader.close()
  }
}

/** A file's pieces being fetched: which of its bytes are verified, and a way to give up the selection. */
interface Pieces {
  /**
   * Waits until byte `from` of the file is verified and stored; returns how far (up to `to`) the verified bytes go
   * on from there, or undefined after a stall or a cancel.
   */
  verified (from: number, to: number, sent: number, started: number): Promise<number | undefined>
  release (): void
}

/** Starts fetching a file's pieces from peers, or undefined when peers cannot supply it. */
async function select (file: FileRef, from: number, ctx: Context, stall: number): Promise<Pieces | undefined> {
  const { swarm, store } = ctx
  const joined = await swarm.join(file.infoHash)
  const entry = joined?.part.files.find(f => f.path === file.path && f.sha256 === file.sha256)
  if (!joined || !entry) return undefined
  const { torrent } = joined
  const range = piecesOf(entry, torrent.pieceLength)
  if ((await store.record(entry.sha256))?.complete || !range) return { verified: async (_, to) => to, release: () => {} }
  if (!hasPieces(torrent, range)) {
    if (!await hasPeers(torrent, () => joined.alone, swarm.manifest.settings.peerTimeout)) {
      // The worker fetches the rest from the origin now, and offers what it stores: peers who come meanwhile
      // wait for this page rather than fetch their shares of the split from the origin too.
      if (entry.size >= PIECEWISE) joined.share.fetches ??= piecesWithin(entry.offset + from, entry.offset + entry.size, torrent.pieceLength, torrent.length)
      return undefined
    }
    // Pieces that also hold bytes of files peers never loaded are seldom offered: ask for the file itself first.
    if (entry.size < PIECEWISE && await storeWhole(swarm, joined, entry, ctx) === 'stored') return { verified: async (_, to) => to, release: () => {} }
    selectPieces(torrent, range[0], range[1], 1)
    torrent.critical(range[0], range[1])
  }
  let released = false
  // Windows taken from the origin because the response fell behind: they stay the origin's until the response ends.
  const rushed: Array<() => void> = []
  const rush = (from: number, to: number): void => {
    const [first, last] = piecesOf({ offset: entry.offset + from, size: to - from }, torrent.pieceLength)!
    rushed.push(joined.share.rush(first, last))
    joined.seed?.take(first, last)
  }
  return {
    verified: (from, to, sent, started) => whenVerified(joined, entry, from, to, ctx, stall, joined.share.lateIn(sent, Date.now() - started), rush),
    release: () => {
      for (const unrush of rushed) unrush()
      // A finished selection is dropped by WebTorrent itself; an abandoned one is dropped here. Selections are
      // counted, so a boundary piece another request still wants stays selected.
      if (released || torrent.destroyed || hasPieces(torrent, range)) return
      released = true
      deselectPieces(torrent, range[0], range[1])
    }
  }
}

/** How far from byte `from` of `entry` (at most to `to`) the verified pieces go; 0 when piece `from` is missing. */
function verifiedEnd (torrent: Torrent, entry: FileEntry, from: number, to: number): number {
  const length = torrent.pieceLength
  let end = from
  while (end < to) {
    const index = Math.floor((entry.offset + end) / length)
    if (!torrent.bitfield.get(index)) break
    end = Math.min(to, (index + 1) * length - entry.offset)
  }
  return end > from ? end : 0
}

/** Bytes of `entry` that piece `index` holds (0 for a piece outside the file). */
function inFile (torrent: Torrent, entry: FileEntry, index: number): number {
  const length = torrent.pieceLength
  return Math.max(0, Math.min((index + 1) * length, entry.offset + entry.size) - Math.max(index * length, entry.offset))
}

/**
 * Waits until the piece holding byte `from` is verified; undefined after `stall` without a verified piece of this
 * file (bytes arriving do not count: a peer can send unrequested ones forever), or a cancel.
 * Meanwhile the pieces up to `to` are the urgent window: the web seed takes them from the origin once peers have
 * kept them waiting about as long as the origin would take, or `rush`es them once the response falls behind the
 * origin's pace (in `late` ms; at once, even if the window's first bytes are in, when it already is).
 */
function whenVerified ({ torrent, share, seed }: Joined, entry: FileEntry, from: number, to: number, ctx: Context, stall: number, late: number, rush: (from: number, to: number) => void): Promise<number | undefined> {
  if (!late) rush(from, to)
  return new Promise(resolve => {
    let timer = setTimeout(() => finish(undefined), stall)
    const length = torrent.pieceLength
    const unblock = share.blocked(Math.floor((entry.offset + from) / length), Math.floor((entry.offset + to - 1) / length), Date.now())
    // The web seed looks again at the pieces it declined once this window's wait for peers has run out.
    const urgent = setTimeout(() => seed?.recheck(), share.urgentLimit())
    const behind = late ? setTimeout(rush, late, from, to) : undefined
    const finish = (end: number | undefined): void => {
      unblock()
      clearTimeout(urgent)
      clearTimeout(behind)
      clearTimeout(timer)
      stop()
      ctx.signal.removeEventListener('abort', onAbort)
      resolve(end)
    }
    const check = (index: number): void => {
      const bytes = inFile(torrent, entry, index)
      if (!bytes) return
      ctx.alive(bytes)
      clearTimeout(timer)
      timer = setTimeout(() => finish(undefined), stall)
      const end = verifiedEnd(torrent, entry, from, to)
      if (end) finish(end)
    }
    const onAbort = (): void => finish(undefined)
    ctx.signal.addEventListener('abort', onAbort)
    const stop = listen(torrent, 'verified', check)
    if (torrent.destroyed) return finish(undefined)
    const end = verifiedEnd(torrent, entry, from, to)
    if (end) finish(end)
  })
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
      // A subresource the peers who loaded this page lack is likely one the browser skips (another srcset
      // candidate): the web seed would fetch it from the origin for nothing. The page asks if it needs it.
      const whole = await storeWhole(swarm, joined, entry, ctx)
      if (whole === 'absent' || (whole === 'failed' && !await download(torrent, range, ctx, stall))) return undefined
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
    await swarm.makeRoom(entry.sha256)
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
      stop()
      ctx.signal.removeEventListener('abort', onAbort)
      // A finished selection is dropped by WebTorrent itself; an abandoned one is dropped here. Selections are
      // counted, so a boundary piece another request still wants stays selected.
      if (!ok && !torrent.destroyed) deselectPieces(torrent, first, last)
      resolve(ok)
    }
    const onVerified = (i: number): void => {
      if (i < first || i > last) return
      // Only verified pieces of this selection keep it going: bytes arriving do not (a peer can send unrequested ones).
      clearTimeout(timer)
      timer = setTimeout(() => finish(false), stall)
      ctx.alive(Math.min(torrent.length, (i + 1) * torrent.pieceLength) - i * torrent.pieceLength)
      if (hasPieces(torrent, [first, last])) finish(true)
    }
    const onAbort = (): void => finish(false)
    ctx.signal.addEventListener('abort', onAbort)
    const stop = listen(torrent, 'verified', onVerified)
    // Another request may have completed these pieces while this one waited for a peer.
    if (hasPieces(torrent, [first, last])) return finish(true)
    selectPieces(torrent, first, last, 1)
    torrent.critical(first, last)
  })
}
