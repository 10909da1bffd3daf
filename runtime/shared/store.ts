// The one place file bytes live, shared by the worker (origin bytes) and the downloader (WebTorrent's chunk
// store): IndexedDB through idb. Files are keyed by SHA-256, so a file that survives a redeploy is kept, and
// the same bytes are never stored twice under two names.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb'
import { dbName } from './db-name.ts'
import { assemble, merge } from './layout.ts'

/** What is known about one file's stored bytes. */
export interface FileRecord {
  sha256: string
  size: number
  /** Every byte is stored and the whole file matched its SHA-256. */
  complete: boolean
  /** Bytes held in segments (for the storage budget). */
  bytes: number
  /** Last time a page used the file (ms since epoch), for least-recently-used eviction. */
  used: number
}

/** A segment is bytes [start, end) of one file; the key carries both ends so coverage needs no values. */
type SegmentKey = [sha256: string, start: number, end: number]

interface Schema extends DBSchema {
  files: { key: string, value: FileRecord }
  segments: { key: SegmentKey, value: Uint8Array }
  meta: { key: string, value: unknown }
}

/** Segments are at most this long (the largest piece length the builder uses), so a read looks back this far. */
export const MAX_SEGMENT = 4 * 1024 * 1024
/** Size of the segments a whole file is cut into when stored at once. */
const CHUNK = 256 * 1024
const DB_VERSION = 1

export { dbName }

/** All segment keys of one file. */
function fileRange (sha256: string): IDBKeyRange {
  // Arrays sort after numbers, so [sha, []] is above every [sha, start, end].
  return IDBKeyRange.bound([sha256], [sha256, []])
}

/** A copy that owns its buffer: structured clone would otherwise store the whole underlying ArrayBuffer. */
function own (bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice()
}

export class Store {
  readonly db: IDBPDatabase<Schema>

  constructor (db: IDBPDatabase<Schema>) {
    this.db = db
  }

  /** Opens (creating if needed) the store of the site under `base`. */
  static async open (base: string): Promise<Store> {
    const db = await openDB<Schema>(dbName(base), DB_VERSION, {
      upgrade (db) {
        db.createObjectStore('files', { keyPath: 'sha256' })
        db.createObjectStore('segments')
        db.createObjectStore('meta')
      },
      // A newer deploy wants another layout: let it; this context's reads then fail and fall back to the network.
      blocking () { db.close() }
    })
    return new Store(db)
  }

  record (sha256: string): Promise<FileRecord | undefined> {
    return this.db.get('files', sha256)
  }

  /** Bytes [start, end) of a file, or undefined when some of them are not stored. */
  async read (sha256: string, start: number, end: number): Promise<Uint8Array | undefined> {
    if (end <= start) return new Uint8Array(0)
    const tx = this.db.transaction('segments')
    const range = IDBKeyRange.bound([sha256, Math.max(0, start - MAX_SEGMENT)], [sha256, end], false, true)
    const [keys, values] = await Promise.all([tx.store.getAllKeys(range), tx.store.getAll(range)])
    const segments = keys.map((key, i) => ({ start: key[1], bytes: values[i]! }))
      .filter(s => s.start + s.bytes.length > start)
    return assemble(segments, start, end)
  }

  /** Merged [start, end) ranges of a file that are stored. */
  async coverage (sha256: string): Promise<Array<[number, number]>> {
    const keys = await this.db.getAllKeys('segments', fileRange(sha256))
    return merge(keys.map(([, s, e]) => [s, e]))
  }

  /** Stored ranges of every file, by SHA-256 (one key-only scan, for a downloader's startup bitfields). */
  async allCoverage (): Promise<Map<string, Array<[number, number]>>> {
    const bySha = new Map<string, Array<[number, number]>>()
    for (const [sha, s, e] of await this.db.getAllKeys('segments')) {
      let list = bySha.get(sha)
      if (!list) bySha.set(sha, list = [])
      list.push([s, e])
    }
    for (const [sha, list] of bySha) bySha.set(sha, merge(list))
    return bySha
  }

  /** Stores a whole, verified file, replacing any partial segments of it, and marks it complete. */
  async putFile (sha256: string, bytes: Uint8Array): Promise<void> {
    const tx = this.db.transaction(['files', 'segments'], 'readwrite')
    const segments = tx.objectStore('segments')
    void segments.delete(fileRange(sha256))
    for (let s = 0; s < bytes.length; s += CHUNK) {
      const e = Math.min(bytes.length, s + CHUNK)
      void segments.put(bytes.slice(s, e), [sha256, s, e])
    }
    void tx.objectStore('files').put({ sha256, size: bytes.length, complete: true, bytes: bytes.length, used: Date.now() })
    await tx.done
  }

  /** Stores bytes [start, start + bytes.length) of a file whose pieces were verified; skips complete files. */
  async putSegment (sha256: string, size: number, start: number, bytes: Uint8Array): Promise<void> {
    const tx = this.db.transaction(['files', 'segments'], 'readwrite')
    const files = tx.objectStore('files')
    const segments = tx.objectStore('segments')
    const record = await files.get(sha256) ?? { sha256, size, complete: false, bytes: 0, used: Date.now() }
    if (record.complete) return tx.done
    for (let s = 0; s < bytes.length; s += MAX_SEGMENT) {
      const e = Math.min(bytes.length, s + MAX_SEGMENT)
      const key: SegmentKey = [sha256, start + s, start + e]
      if (await segments.getKey(key) === undefined) record.bytes += e - s
      void segments.put(own(bytes.subarray(s, e)), key)
    }
    void files.put(record)
    await tx.done
  }

  /** Records that a file's stored bytes matched its SHA-256 as a whole. */
  async markComplete (sha256: string): Promise<void> {
    const tx = this.db.transaction('files', 'readwrite')
    const record = await tx.store.get(sha256)
    if (record && !record.complete) void tx.store.put({ ...record, complete: true, used: Date.now() })
    await tx.done
  }

  /** Forgets a file and its bytes (after a failed verification, or to make room). */
  async remove (sha256: string): Promise<void> {
    const tx = this.db.transaction(['files', 'segments'], 'readwrite')
    void tx.objectStore('segments').delete(fileRange(sha256))
    void tx.objectStore('files').delete(sha256)
    await tx.done
  }

  /** Marks a file as just used, for eviction order. */
  async touch (sha256: string): Promise<void> {
    const tx = this.db.transaction('files', 'readwrite')
    const record = await tx.store.get(sha256)
    if (record) void tx.store.put({ ...record, used: Date.now() })
    await tx.done
  }

  /** Evicts least-recently-used files (except `keep`) until at most `maxBytes` are stored; returns their hashes. */
  async evict (maxBytes: number, keep: ReadonlySet<string> = new Set()): Promise<string[]> {
    const records = await this.db.getAll('files')
    let total = records.reduce((sum, r) => sum + r.bytes, 0)
    const removed: string[] = []
    for (const r of records.sort((a, b) => a.used - b.used)) {
      if (total <= maxBytes) break
      if (keep.has(r.sha256)) continue
      await this.remove(r.sha256)
      total -= r.bytes
      removed.push(r.sha256)
    }
    return removed
  }

  getMeta<T> (key: string): Promise<T | undefined> {
    return this.db.get('meta', key) as Promise<T | undefined>
  }

  async setMeta (key: string, value: unknown): Promise<void> {
    await this.db.put('meta', value, key)
  }

  async deleteMeta (key: string): Promise<void> {
    await this.db.delete('meta', key)
  }

  /** The meta keys that start with `prefix` (such as every kept build's manifest). */
  async metaKeys (prefix: string): Promise<string[]> {
    // U+FFFF sorts after any character a key here uses, so this range is exactly the keys with the prefix.
    return this.db.getAllKeys('meta', IDBKeyRange.bound(prefix, prefix + '\uffff'))
  }
}
