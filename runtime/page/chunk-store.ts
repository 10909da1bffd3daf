// WebTorrent's chunk store over the shared store (runs in the page): pieces are cut at file boundaries and
// kept per file (by SHA-256), so the worker reads what peers brought, and the downloader seeds what the
// worker fetched, with one copy of the bytes.
import type { ChunkStore, ChunkStoreConstructor } from 'webtorrent/dist/webtorrent.min.js'
import { spans } from '../shared/layout.ts'
import type { FileEntry, ShardPart } from '../shared/manifest.ts'
import type { WriteBehind } from './write-behind.ts'

/** Pieces kept in memory when the store refuses them (quota), so a transfer can finish; beyond this, dropped. */
const MEMORY_PIECES = 64
/**
 * A read from the store fetches whole segments, and the worker stores a file it fetched in segments of a MiB: read
 * piece by piece, as peers ask for them, each segment was read again for every piece in it (32 times for 32 KiB
 * pieces). Pieces are read through windows of this many bytes of a file instead, the last WINDOWS of them kept,
 * when the window's segments are longer than what is asked for: a file a page stored piece by piece costs no more
 * read piece by piece, in any order, and a window would cost a MiB for each piece asked out of order.
 */
const WINDOW = 1024 * 1024
const WINDOWS = 4

/**
 * A window of a file all stored: the longest stored segment in it (a read fetches whole segments), and its bytes once
 * read. Shared by every shard's chunk store over one store (keyed by SHA-256, the same bytes whichever torrent asks),
 * so a page seeding many large files holds WINDOWS of them in all, not WINDOWS per torrent.
 */
interface Window { longest: number, bytes?: Promise<Uint8Array | undefined> }
/** Per store: windows looked at lately (by file and start), least recently used first; undefined: not all stored. */
const kept = new WeakMap<WriteBehind, Map<string, Promise<Window | undefined>>>()

type GetOptions = { offset?: number, length?: number }
type GetCallback = (err: Error | null, buf?: Uint8Array) => void

/** A chunk store class for one shard (WebTorrent constructs it with the piece length). */
export function chunkStoreFor (store: WriteBehind, part: ShardPart): ChunkStoreConstructor {
  const total = part.files.reduce((sum, f) => sum + f.size, 0)
  let windows = kept.get(store)
  if (!windows) kept.set(store, windows = new Map())

  return class SharedChunkStore implements ChunkStore {
    readonly chunkLength: number
    readonly #memory = new Map<number, Uint8Array>()

    constructor (chunkLength: number) {
      this.chunkLength = chunkLength
    }

    put (index: number, buf: Uint8Array, cb: (err: Error | null) => void = () => {}): void {
      const start = index * this.chunkLength
      // Written behind (write-behind.ts) unless too much is waiting: the piece is readable from the store at once.
      const early = store.ahead
      const writes = spans(part.files, start, start + buf.length).map(s => {
        const file = part.files[s.file]!
        return store.later({ sha256: file.sha256, size: file.size, start: s.start, bytes: buf.subarray(s.at, s.at + s.end - s.start) })
      })
      const kept = Promise.all(writes).catch(() => {
        // Failing the put would make WebTorrent destroy the whole torrent: keep the piece in memory instead.
        if (this.#memory.size < MEMORY_PIECES) this.#memory.set(index, buf)
      })
      if (early) queueMicrotask(() => cb(null))
      else void kept.then(() => cb(null))
    }

    get (index: number, opts: GetOptions | null | GetCallback, cb?: GetCallback): void {
      // abstract-chunk-store allows get(index, cb); WebTorrent's cache layer calls it that way.
      if (typeof opts === 'function') return this.get(index, null, opts)
      const done = cb ?? (() => {})
      const pieceStart = index * this.chunkLength
      const pieceLength = Math.min(this.chunkLength, total - pieceStart)
      const offset = opts?.offset ?? 0
      const length = opts?.length ?? pieceLength - offset
      const held = this.#memory.get(index)
      if (held) return queueMicrotask(() => done(null, held.subarray(offset, offset + length)))
      const start = pieceStart + offset
      const parts = spans(part.files, start, start + length)
      Promise.all(parts.map(s => this.#read(part.files[s.file]!, s.start, s.end))).then(pieces => {
        const out = new Uint8Array(length)
        for (let i = 0; i < parts.length; i++) {
          const bytes = pieces[i]
          if (!bytes) return done(new Error(`piece ${index} is not stored`))
          out.set(bytes, parts[i]!.at)
        }
        done(null, out)
      }, (err: Error) => done(err))
    }

    /** Bytes [start, end) of `file` from the store, through the windows holding them. */
    async #read (file: FileEntry, start: number, end: number): Promise<Uint8Array | undefined> {
      const out = new Uint8Array(end - start)
      for (let from = start - start % WINDOW; from < end; from += WINDOW) {
        const window = await this.#window(file, from)
        // Part of a window is not stored (a file still coming in), or its segments are no longer than what is asked
        // (a file stored piece by piece, read in any order): a read of only what is asked for fetches no more.
        if (!window || window.longest <= 2 * (end - start)) return store.read(file.sha256, start, end)
        const to = Math.min(file.size, from + WINDOW)
        const read = window.bytes ??= store.read(file.sha256, from, to).catch(() => undefined)
        const bytes = await read
        if (!bytes) {
          if (window.bytes === read) delete window.bytes
          return store.read(file.sha256, start, end)
        }
        const s = Math.max(start, from)
        out.set(bytes.subarray(s - from, Math.min(end, to) - from), s - start)
      }
      return out
    }

    /** The window of `file` from byte `from`, or undefined when not all of it is stored (then it is not kept). */
    async #window (file: FileEntry, from: number): Promise<Window | undefined> {
      const key = `${file.sha256}:${from}`
      const to = Math.min(file.size, from + WINDOW)
      // Asked for keys first: a window of a file still coming in must not cost its stored segments' bytes each time.
      const window = windows.get(key) ?? store.holds(file.sha256, from, to).then(longest => longest === undefined ? undefined : { longest }, () => undefined)
      windows.delete(key)
      windows.set(key, window)
      if (windows.size > WINDOWS) windows.delete(windows.keys().next().value!)
      const got = await window
      if (!got && windows.get(key) === window) windows.delete(key)
      return got
    }

    close (cb: (err: Error | null) => void = () => {}): void {
      queueMicrotask(() => cb(null))
    }

    // The bytes belong to the site's store, not to this torrent: a torrent going away must not delete them.
    destroy (cb: (err: Error | null) => void = () => {}): void {
      queueMicrotask(() => cb(null))
    }
  }
}
