// The WebTorrent client and the shards it has joined (runs in the page). Torrents are rebuilt from the shards' parts
// and piece hashes (torrent-file.ts), never taken from peers' metadata, and are dropped unless their infohash is the manifest's.
// Shards are joined lazily: those holding files the visitor has (to seed them) and those a request needs.
import WebTorrent, { type Torrent, type Wire } from 'webtorrent/dist/webtorrent.min.js'
import { covers, pieceBounds, piecesOf, spans } from '../shared/layout.ts'
import type { Manifest, ShardPart, ShardRef } from '../shared/manifest.ts'
import type { DownloaderStats, SwarmState } from '../shared/messages.ts'
import type { WriteBehind } from './write-behind.ts'
import { piecesKey } from '../shared/store.ts'
import { DEFAULT_TRACKERS_PER_SHARD, trackersFor } from '../shared/trackers.ts'
import { chunkStoreFor } from './chunk-store.ts'
import { fillMesh } from './mesh.ts'
import { passClaims } from './claims.ts'
import { fileExchange } from './file-exchange.ts'
import { loadPart, loadPieces } from './site-files.ts'
import { torrentFile } from './torrent-file.ts'
import { OriginShare } from './share.ts'
import { noteAnswer, noteWarning, reachable, trackerSilence } from './tracker-backoff.ts'
import { addOriginSeed, type OriginSeed } from './web-seed.ts'
import { MAX_MESSAGE, MAX_REQUESTS, forgetPiece, holdRequests, limitMessages, limitRequests, peersKnown, requestedBytes, resendHandshake, trackerSockets, verifyPieces } from './webtorrent-internals.ts'

export interface Joined {
  torrent: Torrent
  part: ShardPart
  shard: ShardRef
  /** Nobody can introduce peers to this page: the last tracker answer counted nobody but us (always so without
   * trackers), or no tracker's socket is open and none is expected to open soon. */
  readonly alone: boolean
  seed?: OriginSeed
  /** Which pieces this page asks the origin for (the crowd's split, and the urgent window). */
  share: OriginShare
}

const isPeer = (w: Wire): boolean => w.type !== 'webSeed'
const FAILED = /^Piece (\d+) failed verification/
/** How long a new peer may take to say which pieces it has before the web seed stops waiting for it. */
const BITFIELD_WAIT = 2000
/**
 * Bytes of block requests in flight to all peers beyond which the page asks for no more (each peer also has at most
 * MAX_REQUESTS): whatever many fast peers send at once waits in memory while the page is busy.
 */
const IN_FLIGHT = 4 * 1024 * 1024

export class Swarm {
  readonly client: WebTorrent
  readonly manifest: Manifest
  readonly #base: string
  readonly #store: WriteBehind
  readonly #stats: DownloaderStats
  readonly #onChange: () => void
  readonly #joining = new Map<string, Promise<Joined | undefined>>()
  readonly #joined = new Map<string, Joined>()
  /** Peers (by peer id) that sent data failing verification: never talked to again. */
  readonly #banned = new Set<string>()
  /** No tracker is contacted: the site lists none, or all failed lately (tracker-backoff.ts). */
  readonly #trackerless: boolean

  constructor (manifest: Manifest, base: string, store: WriteBehind, stats: DownloaderStats, onChange: () => void) {
    this.manifest = manifest
    this.#base = base
    this.#store = store
    this.#stats = stats
    this.#onChange = onChange
    const { announce, rtcConfig } = manifest.settings
    // Every tracker failed lately: none is contacted (each failed socket is an error in the visitor's console).
    this.#trackerless = reachable(announce).length === 0
    // Hermetic by design: trackers from the manifest only, no DHT, no local discovery, no stock web seeds.
    this.client = new WebTorrent({
      tracker: this.#trackerless ? false : { rtcConfig },
      dht: false,
      lsd: false,
      utPex: false,
      webSeeds: false,
      utp: false,
      natUpnp: false,
      natPmp: false
    })
    this.client.on('error', () => {})
  }

  /** Leaves every swarm and the trackers (peer-to-peer was withdrawn); the stored bytes stay. */
  destroy (): void {
    this.client.destroy()
  }

  /** Connected peers over all joined torrents (web seeds excluded). */
  peers (): number {
    return this.client.torrents.reduce((n, t) => n + t.wires.filter(isPeer).length, 0)
  }

  /** What this page knows of each joined shard's swarm. */
  states (): SwarmState[] {
    return [...this.#joined.values()].map(j => ({ infoHash: j.shard.infoHash, peers: j.torrent.wires.filter(isPeer).length, alone: j.alone }))
  }

  /** Joins the shards holding bytes the visitor has, so they are seeded. Only stored parts are read: a shard
   * whose part the store lacks cannot hold any of the visitor's files. */
  async joinHeld (): Promise<void> {
    const held = await this.#store.allCoverage()
    await Promise.all(this.manifest.shards.map(async (shard) => {
      const part = await this.#store.getMeta<ShardPart>(`part:${shard.part}`).catch(() => undefined)
      if (part?.files.some(f => held.has(f.sha256))) await this.join(shard.infoHash)
    }))
  }

  /** The joined shard with this infohash, joining it first if needed; undefined if it cannot be joined. */
  join (infoHash: string): Promise<Joined | undefined> {
    let joining = this.#joining.get(infoHash)
    if (!joining) {
      const shard = this.manifest.shards.find(s => s.infoHash === infoHash)
      joining = shard ? this.#add(shard).catch(() => undefined) : Promise.resolve(undefined)
      this.#joining.set(infoHash, joining)
      void joining.then(j => {
        if (j) this.#joined.set(infoHash, j)
        else this.#joining.delete(infoHash)
      })
    }
    return joining
  }

  /** The shard's share of the site's trackers: the same ones its .torrent lists, which WebTorrent adds to these. */
  #trackers (shard: ShardRef): string[] {
    const { announce, trackersPerShard } = this.manifest.settings
    return trackersFor(shard.infoHash, announce, trackersPerShard ?? DEFAULT_TRACKERS_PER_SHARD)
  }

  async #add (shard: ShardRef): Promise<Joined | undefined> {
    const [part, pieces] = await Promise.all([loadPart(this.#base, shard, this.#store), loadPieces(this.#base, shard, this.#store)])
    if (!part || !pieces) return undefined
    const file = await torrentFile(part, pieces)
    const { bitfield, unverified } = await this.#bitfield(part)
    const torrent = this.client.add(file, {
      store: chunkStoreFor(this.#store, part),
      bitfield,
      deselect: true,
      announce: this.#trackers(shard)
    })
    // While IndexedDB lags (write-behind.ts), or the page's requests to peers add up to IN_FLIGHT, ask for nothing
    // more: what comes in waits in memory. Each block that arrives asks again (WebTorrent), and so does the room.
    const askAgain = holdRequests(torrent, () => !this.#store.ahead || requestedBytes(this.client.torrents) >= IN_FLIGHT)
    torrent.once('close', this.#store.onRoom(askAgain))
    const solo = this.#trackerless
    // Which peers sent blocks of each piece still being assembled, to know whom to blame when it fails.
    const sources = new Map<number, Set<Wire>>()
    // New peers that have not said yet which pieces they have, with when they came.
    const untold = new Map<Wire, number>()
    const mayHave = (index: number): boolean => torrent.wires.some(w => isPeer(w) &&
      (w.peerPieces.get(index) || Date.now() - (untold.get(w) ?? -Infinity) < BITFIELD_WAIT))
    // When each peer last announced a piece: a member of the swarm that announces nothing is not fetching.
    const lastHave = new WeakMap<Wire, number>()
    // When a piece made of peers' blocks last passed verification: a response blocked on a piece a peer is sending
    // keeps waiting while peers deliver. Blocks alone do not count: a peer can send unrequested ones forever.
    let received = -Infinity
    const claims = passClaims(() => torrent.wires.filter(isPeer), () => share.fetches, w => resendHandshake(w as Wire))
    const share = new OriginShare({
      self: this.client.peerId,
      pieceLength: part.pieceLength,
      members: () => torrent.wires.filter(w => isPeer(w) && !w.destroyed && w.peerId)
        .map(w => ({ id: w.peerId!, has: (i: number) => w.peerPieces.get(i), lastHave: lastHave.get(w) ?? -Infinity, fetches: claims.claimOf(w) })),
      get lastReceived () { return received }
    }, this.manifest.settings.peerTimeout)
    let told = solo
    // Whether peers can reach this page through its trackers (tracker-backoff.ts): started once the torrent is ready,
    // when WebTorrent creates the tracker sockets, just after checking stored pieces.
    const silence = trackerSilence(this.manifest.settings.peerTimeout)
    const joined: Joined = { torrent, part, shard, get alone () { return told || silence.unreached(trackerSockets(torrent)) }, share }
    // Let WebTorrent drop a closed wire first.
    const recheck = (): void => { setTimeout(() => joined.seed?.recheck()) }
    torrent.on('error', () => {})
    torrent.on('warning', (err: Error) => {
      noteWarning(err.message)
      const failed = FAILED.exec(err.message)
      if (failed) this.#failed(Number(failed[1]), sources, joined)
    })
    torrent.on('verified', (index: number) => {
      if (sources.delete(index)) received = Date.now()
    })
    torrent.on('wire', (wire: Wire) => {
      if (!isPeer(wire)) return
      if (wire.peerId && this.#banned.has(wire.peerId)) return wire.destroy()
      // No honest peer declares such a message: cut off for good, like a peer that sent bad data.
      limitMessages(wire, MAX_MESSAGE, () => this.ban(wire))
      limitRequests(wire, MAX_REQUESTS)
      untold.set(wire, Date.now())
      wire.use(fileExchange(part, this.#store, this.#stats))
      claims.add(wire)
      const told = (): void => {
        untold.delete(wire)
        recheck()
      }
      for (const said of ['bitfield', 'have-all', 'have-none']) wire.once(said, told)
      setTimeout(told, BITFIELD_WAIT)
      wire.on('piece', (index: number) => {
        let from = sources.get(index)
        if (!from) sources.set(index, from = new Set())
        from.add(wire)
      })
      wire.on('have', () => { lastHave.set(wire, Date.now()) })
      wire.on('download', (n: number) => { this.#stats.fromPeers += n })
      wire.on('upload', (n: number) => { this.#stats.uploaded += n })
      wire.once('close', () => {
        untold.delete(wire)
        recheck()
        this.#onChange()
      })
      this.#onChange()
    })
    const ok = await new Promise<boolean>(resolve => {
      torrent.once('ready', () => resolve(true))
      torrent.once('close', () => resolve(false))
      // Metadata only from the origin's part and hashes (never from peers), and only for the infohash the manifest names.
      // Stored hashes that do not give it are dropped, so the next page asks the origin instead of failing for good.
      torrent.once('infoHash', (hash: string) => {
        if (hash === shard.infoHash) return
        torrent.destroy()
        void this.#store.deleteMeta(piecesKey(shard.infoHash)).catch(() => {})
      })
    })
    silence.start()
    if (!ok) {
      if (!torrent.destroyed) torrent.destroy()
      return undefined
    }
    // Kept only now: a wrong copy stored before the check would be refused on every later page, for good.
    void this.#store.setMeta(piecesKey(shard.infoHash), pieces).catch(() => {})
    const tracker = torrent.discovery?.tracker
    const mesh = tracker && fillMesh(tracker, () => peersKnown(torrent))
    if (mesh) torrent.once('close', () => mesh.stop())
    tracker?.on('update', (data: { announce?: string, complete?: number, incomplete?: number }) => {
      noteAnswer(data.announce)
      const members = (data.complete ?? 0) + (data.incomplete ?? 0)
      told = members <= 1
      mesh?.heard(members)
      this.#onChange()
    })
    joined.seed = addOriginSeed(torrent, part, this.#base, this.#store, this.#stats, mayHave, share)
    if (unverified.length) this.#verify(torrent, unverified)
    this.#stats.torrents++
    this.#onChange()
    return joined
  }

  /**
   * A piece failed its SHA-1: every peer that sent a block of it is cut off for good (WebTorrent would ask them
   * again forever); once they are gone, the web seed offers the piece again.
   */
  #failed (index: number, sources: Map<number, Set<Wire>>, joined: Joined): void {
    this.#stats.verifyFailures++
    // No peer sent a block of it: the origin did, and it has another deploy's bytes for this piece.
    if (!sources.get(index)?.size) joined.seed?.stale(index)
    for (const wire of sources.get(index) ?? []) this.ban(wire)
    sources.delete(index)
  }

  /** Cuts a peer that sent bad data off for good. */
  ban (wire: Wire): void {
    if (wire.peerId) this.#banned.add(wire.peerId)
    this.#stats.banned++
    wire.destroy()
  }

  /**
   * Which pieces the store holds: `bitfield` those made only of files that matched their SHA-256 (WebTorrent
   * spot-checks them instead of downloading them), `unverified` those holding bytes of a file not checked as a
   * whole yet (a streamed download the origin or peers left unfinished), which WebTorrent must hash first.
   */
  async #bitfield (part: ShardPart): Promise<{ bitfield: Uint8Array, unverified: number[] }> {
    const coverage = await this.#store.allCoverage()
    const complete = new Set<string>()
    for (const f of part.files) {
      if (coverage.has(f.sha256) && (await this.#store.record(f.sha256).catch(() => undefined))?.complete) complete.add(f.sha256)
    }
    const total = part.files.reduce((sum, f) => sum + f.size, 0)
    const count = Math.ceil(total / part.pieceLength)
    const bits = new Uint8Array(Math.ceil(count / 8))
    const unverified: number[] = []
    for (let i = 0; i < count; i++) {
      const [start, end] = pieceBounds(i, part.pieceLength, total)
      if (!heldWhole(part, coverage, start, end)) continue
      if (spans(part.files, start, end).every(s => complete.has(part.files[s.file]!.sha256))) bits[i >> 3]! |= 128 >> (i % 8)
      else unverified.push(i)
    }
    return { bitfield: bits, unverified }
  }

  /** Hashes stored pieces (SHA-1) and offers peers the good ones. */
  #verify (torrent: Torrent, list: number[]): void {
    verifyPieces(torrent, list, () => {
      if (torrent.destroyed) return
      for (const i of list) if (torrent.bitfield.get(i)) for (const w of torrent.wires) w.have(i)
    })
  }

  /**
   * The worker stored these files (or bytes [from, to) of them): join their shards, verify the pieces they complete,
   * announce the good ones.
   */
  async stored (files: Array<{ sha256: string, infoHash: string }>, [from, to] = [0, Infinity]): Promise<void> {
    const wanted = new Set(files.map(f => f.sha256))
    // Joining computes its bitfield from the store, which holds these files already.
    await Promise.all([...new Set(files.map(f => f.infoHash))].map(h => this.join(h)))
    const coverage = await this.#store.allCoverage()
    for (const { torrent, part } of this.#joined.values()) {
      if (torrent.destroyed) continue
      const total = part.files.reduce((sum, f) => sum + f.size, 0)
      const candidates = new Set<number>()
      for (const f of part.files) {
        const range = wanted.has(f.sha256) && piecesOf(f, part.pieceLength)
        if (!range) continue
        for (let i = range[0]; i <= range[1]; i++) {
          // Only pieces held whole: re-checking a partial one would make WebTorrent restart its download.
          const [start, end] = pieceBounds(i, part.pieceLength, total)
          if (!torrent.bitfield.get(i) && end > f.offset + from && start < f.offset + to && heldWhole(part, coverage, start, end)) candidates.add(i)
        }
      }
      if (candidates.size === 0) continue
      this.#verify(torrent, [...candidates])
    }
  }

  /** Peers' bytes count against the storage budget like the origin's: makes room, oldest first, keeping `sha256`. */
  async makeRoom (sha256: string): Promise<void> {
    const evicted = await this.#store.evict(this.manifest.settings.maxStorage, new Set([sha256])).catch(() => [])
    if (evicted.length) this.evicted(evicted)
  }

  /** These files left the store: stop claiming their pieces, and tell peers so they ask someone else. */
  evicted (sha256: string[]): void {
    const gone = new Set(sha256)
    for (const { torrent, part } of this.#joined.values()) {
      if (torrent.destroyed) continue
      for (const f of part.files) {
        const range = gone.has(f.sha256) && piecesOf(f, part.pieceLength)
        if (!range) continue
        for (let i = range[0]; i <= range[1]; i++) {
          if (!torrent.bitfield.get(i)) continue
          forgetPiece(torrent, i)
          for (const w of torrent.wires) w.lt_donthave?.donthave(i)
        }
      }
    }
  }
}

/** Whether the store holds every byte of torrent range [start, end). */
function heldWhole (part: ShardPart, coverage: Map<string, Array<[number, number]>>, start: number, end: number): boolean {
  return spans(part.files, start, end).every(s => covers(coverage.get(part.files[s.file]!.sha256) ?? [], s.start, s.end))
}
