// `planktos_file`, a BEP 10 extension (runs in the page): a peer asks a connected peer of the same shard for a
// whole file by SHA-256, in chunks. BitTorrent only shares whole pieces, and in a shard of small files most
// pieces also hold bytes of neighbours a visitor never loaded, so a visitor can rarely offer the first and last
// pieces of the files it has; it can offer the files themselves, which the store keeps verified by SHA-256.
// Messages: kind (1 byte), SHA-256 (32 bytes), then GET: offset (u32) | DATA: offset (u32), bytes | NONE.
import type { Torrent, Wire } from 'webtorrent/dist/webtorrent.min.js'
import { sha256 } from '../shared/hash.ts'
import { piecesOf } from '../shared/layout.ts'
import type { FileEntry, ShardPart } from '../shared/manifest.ts'
import type { DownloaderStats } from '../shared/messages.ts'
import type { Store } from '../shared/store.ts'
import { listen } from './listeners.ts'
import type { Joined, Swarm } from './swarm.ts'

const NAME = 'planktos_file'
const GET = 0
const DATA = 1
const NONE = 2
/** Bytes per DATA message: a BitTorrent block, which every peer already accepts. */
const CHUNK = 16 * 1024
/** GETs in flight per transfer: the asking side paces the answering one, 64 KiB at most in the pipe. */
const WINDOW = 4
/**
 * Largest file sent this way. Both sides hold the whole file in memory and it reaches the page only once
 * verified; up to this size, that costs less than losing the bytes to the origin. Larger files span whole pieces
 * that peers can offer, and stream piece by piece.
 */
export const WHOLE_MAX = 4 * 1024 * 1024
/**
 * GETs answered per second per wire, in bursts of up to BURST: 8 MiB/s, far above what WINDOW GETs in flight ask for
 * over WebRTC, while a peer sending GETs in a loop costs a bounded amount of work.
 */
const RATE = 512
const BURST = 64
/** GETs waiting for their turn per wire: an honest peer has WINDOW in flight; the rest of a flood is dropped. */
const QUEUED = 2 * WINDOW

interface ExtWire extends Wire {
  readonly peerExtendedMapping: Record<string, number>
  /** We choke the remote peer: it gets nothing from us, pieces or files. */
  readonly amChoking: boolean
  readonly amInterested: boolean
  interested (): void
  extended (ext: string, buf: Uint8Array): void
  [NAME]?: FileExchange
}

type Reply = (kind: number, offset: number, bytes: Uint8Array) => void

/** Files recently read for a peer, so the GETs of one transfer read the store once. */
const held = new Map<string, { bytes: Promise<Uint8Array | undefined>, timer: ReturnType<typeof setTimeout> }>()

function readHeld (store: Store, entry: FileEntry): Promise<Uint8Array | undefined> {
  let h = held.get(entry.sha256)
  if (h) clearTimeout(h.timer)
  else {
    // Only a file the store holds complete, that is verified as a whole.
    const bytes = store.record(entry.sha256).then(r => r?.complete ? store.read(entry.sha256, 0, entry.size) : undefined).catch(() => undefined)
    h = { bytes, timer: 0 as unknown as ReturnType<typeof setTimeout> }
    held.set(entry.sha256, h)
  }
  // Two files at most stay in memory, for a few seconds after their last GET.
  if (held.size > 2) held.delete(held.keys().next().value!)
  const mine = h
  h.timer = setTimeout(() => { if (held.get(entry.sha256) === mine) held.delete(entry.sha256) }, 5000)
  return h.bytes
}

const hex = (b: Uint8Array): string => Array.from(b, x => x.toString(16).padStart(2, '0')).join('')
const unhex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g)!, x => parseInt(x, 16))

function message (kind: number, sha: string, offset?: number, bytes?: Uint8Array): Uint8Array {
  const out = new Uint8Array(33 + (offset === undefined ? 0 : 4) + (bytes?.length ?? 0))
  out[0] = kind
  out.set(unhex(sha), 1)
  if (offset !== undefined) new DataView(out.buffer).setUint32(33, offset)
  if (bytes) out.set(bytes, 37)
  return out
}

class FileExchange {
  declare name: string
  readonly wire: ExtWire
  readonly #files: Map<string, FileEntry>
  readonly #store: Store
  readonly #stats: DownloaderStats
  /** Transfers this side is receiving, by SHA-256. */
  readonly waiting = new Map<string, Reply>()
  /** GETs not answered yet, and the rate limit's tokens as of `#filled`. */
  readonly #queue: Array<[sha: string, offset: number]> = []
  #tokens = BURST
  #filled = Date.now()
  #pumping: ReturnType<typeof setTimeout> | undefined

  constructor (wire: ExtWire, part: ShardPart, store: Store, stats: DownloaderStats) {
    this.wire = wire
    this.#files = new Map(part.files.filter(f => f.size <= WHOLE_MAX).map(f => [f.sha256, f]))
    this.#store = store
    this.#stats = stats
  }

  /** Whether the remote peer speaks this extension (known after its extended handshake). */
  get supported (): boolean {
    return !!this.wire.peerExtendedMapping[NAME]
  }

  send (kind: number, sha: string, offset?: number, bytes?: Uint8Array): void {
    if (!this.wire.destroyed) this.wire.extended(NAME, message(kind, sha, offset, bytes))
  }

  onMessage (buf: Uint8Array): void {
    if (buf.length < 33) return
    const sha = hex(buf.subarray(1, 33))
    const offset = buf.length >= 37 ? new DataView(buf.buffer, buf.byteOffset + 33).getUint32(0) : 0
    if (buf[0] === GET) this.#asked(sha, offset)
    else this.waiting.get(sha)?.(buf[0]!, offset, buf.subarray(37))
  }

  /**
   * A GET: only a peer we unchoked gets files (as it would get pieces); it is answered in turn, at most RATE a
   * second; beyond QUEUED waiting, GETs are dropped unanswered (the asker's own deadline ends its wait).
   */
  #asked (sha: string, offset: number): void {
    if (this.wire.amChoking || this.#queue.length >= QUEUED) return
    this.#queue.push([sha, offset])
    this.#pump()
  }

  #pump (): void {
    if (this.#pumping) return
    while (this.#queue.length && !this.wire.destroyed) {
      const now = Date.now()
      this.#tokens = Math.min(BURST, this.#tokens + (now - this.#filled) * RATE / 1000)
      this.#filled = now
      if (this.#tokens < 1) {
        this.#pumping = setTimeout(() => {
          this.#pumping = undefined
          this.#pump()
        }, Math.ceil((1 - this.#tokens) * 1000 / RATE))
        return
      }
      this.#tokens--
      const [sha, offset] = this.#queue.shift()!
      void this.#answer(sha, offset)
    }
    if (this.wire.destroyed) this.#queue.length = 0
  }

  /** Answers one GET from the store: a file of this shard only, only if complete, else NONE. */
  async #answer (sha: string, offset: number): Promise<void> {
    const entry = this.#files.get(sha)
    const bytes = entry && await readHeld(this.#store, entry)
    if (!bytes || offset >= bytes.length) return this.send(NONE, sha)
    const chunk = bytes.subarray(offset, offset + CHUNK)
    this.#stats.uploaded += chunk.length
    this.send(DATA, sha, offset, chunk)
  }
}

/** The extension for `wire.use()`, answering from `store` for the files of `part`. */
export function fileExchange (part: ShardPart, store: Store, stats: DownloaderStats): unknown {
  const Ext = class extends FileExchange {
    constructor (wire: ExtWire) { super(wire, part, store, stats) }
  }
  // bittorrent-protocol names an extension by its prototype's `name`.
  Ext.prototype.name = NAME
  return Ext
}

export interface Fetch {
  stats: DownloaderStats
  /** Called with the bytes of each chunk of the asked file received (bounded: only chunks asked for, of a small file). */
  alive: (bytes: number) => void
  signal: AbortSignal
  /** How long a peer may stay silent, and how long to wait for a peer that speaks the extension. */
  wait: number
  /** The peer sent bytes that are not the file. */
  ban: (wire: Wire) => void
}

/**
 * The whole file from a connected peer of `torrent`, verified against its SHA-256; null when every peer that
 * speaks the extension said it lacks the file; undefined when it cannot be had otherwise (the file is too large,
 * its pieces are all offered by peers anyway, or peers were silent or sent bad bytes). Peers are asked one after
 * the other, those holding some of its pieces first.
 */
export async function wholeFile (torrent: Torrent, entry: FileEntry, f: Fetch): Promise<Uint8Array | null | undefined> {
  const range = piecesOf(entry, torrent.pieceLength)
  if (!range || entry.size > WHOLE_MAX) return undefined
  const offered = (w: Wire, i: number): boolean => w.type !== 'webSeed' && w.peerPieces.get(i)
  let all = true
  for (let i = range[0]; i <= range[1]; i++) all &&= torrent.wires.some(w => offered(w, i))
  if (all) return undefined
  // One transfer per file: two on one wire would mix their chunks.
  let fetching = inflight.get(entry.sha256)
  if (!fetching) {
    inflight.set(entry.sha256, fetching = fromPeers(torrent, entry, range, f))
    void fetching.finally(() => inflight.delete(entry.sha256))
  }
  return fetching
}

const inflight = new Map<string, Promise<Uint8Array | null | undefined>>()

async function fromPeers (torrent: Torrent, entry: FileEntry, range: [number, number], f: Fetch): Promise<Uint8Array | null | undefined> {
  const offered = (w: Wire, i: number): boolean => w.peerPieces.get(i)
  const tried = new Set<Wire>()
  let lacking = 0
  const deadline = Date.now() + f.wait
  while (!f.signal.aborted && !torrent.destroyed) {
    const wires = (torrent.wires as ExtWire[]).filter(w => w.type !== 'webSeed' && !w.destroyed && !tried.has(w))
    const next = wires.filter(w => w[NAME]?.supported)
      .sort((a, b) => Number(offered(b, range[0]) || offered(b, range[1])) - Number(offered(a, range[0]) || offered(a, range[1])))[0]
    if (!next) {
      // Peers whose extended handshake has not come yet may still speak it.
      if (!wires.length) return lacking > 0 && lacking === tried.size ? null : undefined
      if (Date.now() >= deadline) return undefined
      await new Promise(resolve => setTimeout(resolve, 50))
      continue
    }
    tried.add(next)
    const bytes = await fromWire(next[NAME]!, entry, f)
    if (bytes === null) lacking++
    else if (bytes && await sha256(bytes) === entry.sha256) return bytes
    else if (bytes) {
      f.stats.verifyFailures++
      f.ban(next)
    }
  }
  return undefined
}

/** The file's bytes as one peer sends them, unverified; null on NONE, undefined on silence or a cancel. */
function fromWire (ext: FileExchange, entry: FileEntry, f: Fetch): Promise<Uint8Array | null | undefined> {
  const { size, sha256: sha } = entry
  const out = new Uint8Array(size)
  const asked = new Set<number>()
  let next = 0
  let got = 0
  return new Promise(resolve => {
    let timer: ReturnType<typeof setTimeout>
    let unwatch = (): void => {}
    const finish = (bytes: Uint8Array | null | undefined): void => {
      clearTimeout(timer)
      ext.waiting.delete(sha)
      f.signal.removeEventListener('abort', abort)
      unwatch()
      resolve(bytes)
    }
    const abort = (): void => finish(undefined)
    const quiet = (): void => {
      clearTimeout(timer)
      timer = setTimeout(abort, f.wait)
    }
    const ask = (): void => {
      while (asked.size < WINDOW && next < size) {
        asked.add(next)
        ext.send(GET, sha, next)
        next += CHUNK
      }
    }
    ext.waiting.set(sha, (kind, offset, bytes) => {
      if (kind !== DATA) return finish(null)
      // Only the chunks asked for, each exactly as long as asked: anything else fails the hash, so bans the peer.
      if (!asked.delete(offset) || bytes.length !== Math.min(CHUNK, size - offset)) return finish(out)
      out.set(bytes, offset)
      got += bytes.length
      f.stats.fromPeers += bytes.length
      f.alive(bytes.length)
      quiet()
      if (got === size) return finish(out)
      ask()
    })
    f.signal.addEventListener('abort', abort)
    unwatch = listen(ext.wire, 'close', abort)
    // A peer serves files only to peers it unchoked; saying we want something from it is how it comes to.
    ext.wire.interested()
    quiet()
    ask()
  })
}

/**
 * Gets a small file whole from peers when its pieces are not all offered, then stores it and seeds the pieces it
 * completes: 'stored', or 'absent' when the peers said they lack it, or 'failed'. Waits `peerTimeout` for a peer
 * that speaks the extension, and `peerTimeout` for each chunk.
 */
export async function storeWhole (swarm: Swarm, joined: Joined, entry: FileEntry, ctx: Pick<Fetch, 'stats' | 'alive' | 'signal'> & { store: Store }): Promise<'stored' | 'absent' | 'failed'> {
  const bytes = await wholeFile(joined.torrent, entry, { ...ctx, wait: swarm.manifest.settings.peerTimeout, ban: w => swarm.ban(w) })
  if (!bytes) return bytes === null ? 'absent' : 'failed'
  await ctx.store.putFile(entry.sha256, bytes)
  await swarm.stored([{ sha256: entry.sha256, infoHash: joined.shard.infoHash }])
  await swarm.makeRoom(entry.sha256)
  return 'stored'
}
