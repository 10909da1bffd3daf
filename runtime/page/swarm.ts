// The WebTorrent client and the shards it has joined (runs in the page). Torrents come from the origin's
// .torrent files, never from peers' metadata, and are dropped unless their infohash is the manifest's.
import WebTorrent, { type Torrent, type Wire } from 'webtorrent/dist/webtorrent.min.js'
import { covers, pieceBounds, piecesOf, spans } from '../shared/layout.ts'
import type { Manifest, ShardPart, ShardRef } from '../shared/manifest.ts'
import type { DownloaderStats } from '../shared/messages.ts'
import type { Store } from '../shared/store.ts'
import { chunkStoreFor } from './chunk-store.ts'
import { loadPart, loadTorrent } from './site-files.ts'
import { addOriginSeed } from './web-seed.ts'

export interface Joined {
  torrent: Torrent
  part: ShardPart
  shard: ShardRef
  /** A tracker has answered, so a peer count of zero means nobody else is there. */
  settled: boolean
  /** The last tracker answer counted nobody but us. */
  alone: boolean
}

export class Swarm {
  readonly client: WebTorrent
  readonly manifest: Manifest
  readonly #base: string
  readonly #store: Store
  readonly #stats: DownloaderStats
  readonly #onChange: () => void
  readonly #joined = new Map<string, Promise<Joined | undefined>>()

  constructor (manifest: Manifest, base: string, store: Store, stats: DownloaderStats, onChange: () => void) {
    this.manifest = manifest
    this.#base = base
    this.#store = store
    this.#stats = stats
    this.#onChange = onChange
    const { announce, rtcConfig } = manifest.settings
    // Hermetic by design: trackers from the manifest only, no DHT, no local discovery, no stock web seeds.
    this.client = new WebTorrent({
      tracker: announce.length > 0 ? { rtcConfig } : false,
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

  /** Connected peers over all joined torrents (web seeds excluded). */
  peers (): number {
    return this.client.torrents.reduce((n, t) => n + t.wires.filter(w => w.type !== 'webSeed').length, 0)
  }

  /** Whether every joined torrent has heard from a tracker. */
  async settled (): Promise<boolean> {
    const all = await Promise.all(this.#joined.values())
    return all.every(j => !j || j.settled)
  }

  /** The joined shard with this infohash, joining it first if needed; undefined if it cannot be joined. */
  join (infoHash: string): Promise<Joined | undefined> {
    let joined = this.#joined.get(infoHash)
    if (!joined) {
      const shard = this.manifest.shards.find(s => s.infoHash === infoHash)
      joined = shard ? this.#add(shard).catch(() => undefined) : Promise.resolve(undefined)
      this.#joined.set(infoHash, joined)
      void joined.then(j => { if (!j) this.#joined.delete(infoHash) })
    }
    return joined
  }

  async #add (shard: ShardRef): Promise<Joined | undefined> {
    const [part, file] = await Promise.all([loadPart(this.#base, shard, this.#store), loadTorrent(this.#base, shard, this.#store)])
    if (!part || !file) return undefined
    const bitfield = await this.#bitfield(part)
    const torrent = this.client.add(file, {
      store: chunkStoreFor(this.#store, part),
      bitfield,
      deselect: true,
      announce: this.manifest.settings.announce
    })
    const solo = this.manifest.settings.announce.length === 0
    const joined: Joined = { torrent, part, shard, settled: solo, alone: solo }
    torrent.on('error', () => {})
    torrent.on('warning', (err: Error) => { if (/failed verification/.test(err.message)) this.#stats.verifyFailures++ })
    torrent.on('wire', (wire: Wire) => {
      if (wire.type === 'webSeed') return
      wire.on('download', (n: number) => { this.#stats.fromPeers += n })
      wire.on('upload', (n: number) => { this.#stats.uploaded += n })
      wire.once('close', this.#onChange)
      this.#onChange()
    })
    torrent.on('trackerAnnounce', () => {
      joined.settled = true
      this.#onChange()
    })
    const ok = await new Promise<boolean>(resolve => {
      torrent.once('ready', () => resolve(true))
      torrent.once('close', () => resolve(false))
      // Metadata only from the origin's torrent file, and only for the infohash the manifest names.
      torrent.once('infoHash', (hash: string) => { if (hash !== shard.infoHash) torrent.destroy() })
    })
    if (!ok || !sameFiles(torrent, part)) {
      if (!torrent.destroyed) torrent.destroy()
      return undefined
    }
    torrent.discovery?.tracker?.on('update', (data: { complete?: number, incomplete?: number }) => {
      joined.alone = (data.complete ?? 0) + (data.incomplete ?? 0) <= 1
    })
    addOriginSeed(torrent, part, this.#base, this.#store, this.#stats)
    this.#stats.torrents++
    this.#onChange()
    return joined
  }

  /** Which pieces the store already holds, so WebTorrent spot-checks them instead of downloading them. */
  async #bitfield (part: ShardPart): Promise<Uint8Array> {
    const coverage = await this.#store.allCoverage()
    const total = part.files.reduce((sum, f) => sum + f.size, 0)
    const count = Math.ceil(total / part.pieceLength)
    const bits = new Uint8Array(Math.ceil(count / 8))
    for (let i = 0; i < count; i++) {
      const [start, end] = pieceBounds(i, part.pieceLength, total)
      if (heldWhole(part, coverage, start, end)) bits[i >> 3]! |= 128 >> (i % 8)
    }
    return bits
  }

  /** The worker stored these files: verify the pieces they complete, and announce the good ones to peers. */
  async stored (sha256: string[]): Promise<void> {
    const wanted = new Set(sha256)
    const joinedAll = await Promise.all(this.#joined.values())
    const coverage = await this.#store.allCoverage()
    for (const joined of joinedAll) {
      if (!joined || joined.torrent.destroyed) continue
      const { torrent, part } = joined
      const total = part.files.reduce((sum, f) => sum + f.size, 0)
      const candidates: number[] = []
      for (const f of part.files) {
        const range = wanted.has(f.sha256) && piecesOf(f, part.pieceLength)
        if (!range) continue
        for (let i = range[0]; i <= range[1]; i++) {
          // Only pieces held whole: re-checking a partial one would make WebTorrent restart its download.
          const [start, end] = pieceBounds(i, part.pieceLength, total)
          if (heldWhole(part, coverage, start, end) && !torrent.bitfield.get(i) && !candidates.includes(i)) candidates.push(i)
        }
      }
      if (candidates.length === 0) continue
      torrent._verifyPiecesUsingHash(candidates, () => {
        for (const i of candidates) if (torrent.bitfield.get(i)) for (const w of torrent.wires) w.have(i)
      })
    }
  }
}

/** Whether the store holds every byte of torrent range [start, end). */
function heldWhole (part: ShardPart, coverage: Map<string, Array<[number, number]>>, start: number, end: number): boolean {
  return spans(part.files, start, end).every(s => covers(coverage.get(part.files[s.file]!.sha256) ?? [], s.start, s.end))
}

/** The torrent lays out exactly the files the part lists, at the same offsets. */
function sameFiles (torrent: Torrent, part: ShardPart): boolean {
  return torrent.files.length === part.files.length &&
    torrent.files.every((f, i) => f.length === part.files[i]!.size && f.offset === part.files[i]!.offset) &&
    torrent.pieceLength === part.pieceLength
}
