// The one place file bytes live, shared by the worker (origin bytes) and the downloader (WebTorrent's chunk
// store): IndexedDB. Files are keyed by SHA-256, so a file that survives a redeploy is kept, and the same bytes
// are never stored twice under two names.
// Plain IndexedDB with two small promise helpers, not idb: the few calls here need nothing more, and idb's proxies
// were over a kilobyte (brotli) of the worker's budget.
import { dbName } from './db-name.ts'
import { assemble, covers, merge } from './layout.ts'

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

/** Bytes [start, start + bytes.length) of the file `sha256` of `size` bytes. */
export interface Segment { sha256: string, size: number, start: number, bytes: Uint8Array }

/** A segment is bytes [start, end) of one file; the key carries both ends so coverage needs no values. */
export type SegmentKey = [sha256: string, start: number, end: number]

/** The object stores: files (FileRecord by sha256), segments (bytes by SegmentKey), meta (anything by name). */
type StoreName = 'files' | 'segments' | 'meta'

/** Segments are at most this long (the largest piece length the builder uses), so a read looks back this far. */
export const MAX_SEGMENT = 4 * 1024 * 1024
/** Size of the segments a whole file is cut into when stored at once. */
const CHUNK = 256 * 1024
const DB_VERSION = 1

export { dbName }

/** The meta key of a shard's piece hashes, which its pages keep once the torrent they make proved right (swarm.ts) and
 * the worker drops with the last build listing the shard (prune.ts). */
export const piecesKey = (infoHash: string): string => `pieces:${infoHash}`

/** All segment keys of one file. */
function fileRange (sha256: string): IDBKeyRange {
  // Arrays sort after numbers, so [sha, []] is above every [sha, start, end].
  return IDBKeyRange.bound([sha256], [sha256, []])
}

/** A request's result, or its error. */
export function request<T> (req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
}

/** Settles when the transaction commits; fails when it errs or aborts. Call right after opening it. */
function committed (tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve()
    tx.onerror = tx.onabort = () => reject(tx.error ?? new DOMException('AbortError', 'AbortError'))
  })
}

/** A copy that owns its buffer: structured clone would otherwise store the whole underlying ArrayBuffer. */
function own (bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice()
}

export class Store {
  readonly db: IDBDatabase

  constructor (db: IDBDatabase) {
    this.db = db
  }

  /** Opens (creating if needed) the store of the site under `base`. */
  static async open (base: string): Promise<Store> {
    const open = indexedDB.open(dbName(base), DB_VERSION)
    open.onupgradeneeded = () => {
      const db = open.result
      db.createObjectStore('files', { keyPath: 'sha256' })
      db.createObjectStore('segments')
      db.createObjectStore('meta')
    }
    const db = await request(open)
    // A newer deploy wants another layout: let it; this context's reads then fail and fall back to the network.
    db.onversionchange = () => db.close()
    return new Store(db)
  }

  /** One object store in a transaction of its own. (Callers are async, so a closed database rejects, never throws.) */
  protected store (name: StoreName, mode?: IDBTransactionMode): IDBObjectStore {
    return this.db.transaction(name, mode).objectStore(name)
  }

  /** Runs one write request in a transaction of its own; settles when that commits. */
  private async write (name: StoreName, change: (store: IDBObjectStore) => IDBRequest): Promise<void> {
    const tx = this.db.transaction(name, 'readwrite')
    const done = committed(tx)
    await Promise.all([request(change(tx.objectStore(name))), done])
  }

  async record (sha256: string): Promise<FileRecord | undefined> {
    return request(this.store('files').get(sha256))
  }

  /** Every file's record. */
  async records (): Promise<FileRecord[]> {
    return request(this.store('files').getAll())
  }

  /** Bytes [start, end) of a file, or undefined when some of them are not stored. */
  async read (sha256: string, start: number, end: number): Promise<Uint8Array | undefined> {
    if (end <= start) return new Uint8Array(0)
    const store = this.store('segments')
    // The keys first, then the values of only those segments that reach past `start`: a file stored piece by piece
    // has a segment per piece, and fetching every value in the look-back (4 MiB) would make a 16 KiB read cost 4 MiB.
    const keys = await request(store.getAllKeys(IDBKeyRange.bound([sha256, Math.max(0, start - MAX_SEGMENT)], [sha256, end], false, true))) as SegmentKey[]
    const from = keys.findIndex(k => k[2] > start)
    if (from < 0) return undefined
    const values = await request(store.getAll(IDBKeyRange.bound(keys[from], [sha256, end], false, true))) as Uint8Array[]
    return assemble(values.map((bytes, i) => ({ start: keys[from + i]![1], bytes })), start, end)
  }

  /**
   * A complete file's bytes, or undefined when it is not complete: its record and segments read in one transaction
   * (one round trip to the database, which in WebKit is another process).
   */
  async readComplete (sha256: string, size: number): Promise<Uint8Array | undefined> {
    const tx = this.db.transaction(['files', 'segments'])
    const segments = tx.objectStore('segments')
    // Segments start below `size` (an empty file still needs a valid range).
    const range = IDBKeyRange.bound([sha256, 0], [sha256, Math.max(size, 1)], false, true)
    const [record, keys, values] = await Promise.all([
      request(tx.objectStore('files').get(sha256)) as Promise<FileRecord | undefined>,
      request(segments.getAllKeys(range)) as Promise<SegmentKey[]>,
      request(segments.getAll(range)) as Promise<Uint8Array[]>
    ])
    if (!record?.complete) return undefined
    return assemble(keys.map((key, i) => ({ start: key[1], bytes: values[i]! })), 0, size)
  }

  /** Merged [start, end) ranges of a file that are stored. */
  async coverage (sha256: string): Promise<Array<[number, number]>> {
    const keys = await request(this.store('segments').getAllKeys(fileRange(sha256))) as SegmentKey[]
    return merge(keys.map(([, s, e]) => [s, e]))
  }

  /** Stores a whole, verified file, replacing any partial segments of it, and marks it complete. */
  async putFile (sha256: string, bytes: Uint8Array): Promise<void> {
    const tx = this.db.transaction(['files', 'segments'], 'readwrite')
    const done = committed(tx)
    const segments = tx.objectStore('segments')
    segments.delete(fileRange(sha256))
    for (let s = 0; s < bytes.length; s += CHUNK) {
      const e = Math.min(bytes.length, s + CHUNK)
      segments.put(bytes.slice(s, e), [sha256, s, e])
    }
    tx.objectStore('files').put({ sha256, size: bytes.length, complete: true, bytes: bytes.length, used: Date.now() } satisfies FileRecord)
    await done
  }

  /**
   * Stores verified bytes of files, each [start, start + bytes.length) of its file, in one transaction; skips complete
   * files. One transaction for many pieces: each costs a round trip (tens of ms in a loaded page).
   */
  async putSegments (list: readonly Segment[]): Promise<void> {
    const tx = this.db.transaction(['files', 'segments'], 'readwrite')
    const done = committed(tx)
    const files = tx.objectStore('files')
    const segments = tx.objectStore('segments')
    const records = new Map<string, FileRecord>()
    for (const { sha256, size, start, bytes } of list) {
      const record = records.get(sha256) ?? await request(files.get(sha256)) ?? { sha256, size, complete: false, bytes: 0, used: Date.now() }
      records.set(sha256, record)
      if (record.complete) continue
      for (let s = 0; s < bytes.length; s += MAX_SEGMENT) {
        const e = Math.min(bytes.length, s + MAX_SEGMENT)
        const key: SegmentKey = [sha256, start + s, start + e]
        if (await request(segments.getKey(key)) === undefined) record.bytes += e - s
        segments.put(own(bytes.subarray(s, e)), key)
      }
    }
    for (const record of records.values()) if (!record.complete) files.put(record)
    await done
  }

  /**
   * Records that a file's stored bytes matched its SHA-256 as a whole, if every byte is in the store: the bytes were
   * checked as they went by, and a write the store refused, or one a page that wrote behind (page/write-behind.ts) did
   * not finish before it went away, leaves the file incomplete, to be fetched again, not marked with a gap.
   */
  async markComplete (sha256: string): Promise<void> {
    const tx = this.db.transaction(['files', 'segments'], 'readwrite')
    const done = committed(tx)
    const files = tx.objectStore('files')
    const [record, keys] = await Promise.all([
      request(files.get(sha256)) as Promise<FileRecord | undefined>,
      request(tx.objectStore('segments').getAllKeys(fileRange(sha256))) as Promise<SegmentKey[]>
    ])
    if (record && !record.complete && covers(merge(keys.map(([, s, e]) => [s, e])), 0, record.size)) files.put({ ...record, complete: true, used: Date.now() })
    await done
  }

  /** Forgets a file and its bytes (after a failed verification, or to make room). */
  async remove (sha256: string): Promise<void> {
    const tx = this.db.transaction(['files', 'segments'], 'readwrite')
    const done = committed(tx)
    tx.objectStore('segments').delete(fileRange(sha256))
    tx.objectStore('files').delete(sha256)
    await done
  }

  /** Marks a file as just used, for eviction order. */
  async touch (sha256: string): Promise<void> {
    return this.update<FileRecord>('files', sha256, r => r && { ...r, used: Date.now() })
  }

  /** Evicts least-recently-used files (except `keep`) until at most `maxBytes` are stored; returns their hashes. */
  async evict (maxBytes: number, keep: ReadonlySet<string> = new Set()): Promise<string[]> {
    const records = await this.records()
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

  async getMeta<T> (key: string): Promise<T | undefined> {
    return request(this.store('meta').get(key))
  }

  async setMeta (key: string, value: unknown): Promise<void> {
    return this.write('meta', store => store.put(value, key))
  }

  async deleteMeta (key: string): Promise<void> {
    return this.write('meta', store => store.delete(key))
  }

  /** Reads, changes and writes back one meta value in one transaction (tabs may change it at once). */
  async updateMeta<T> (key: string, change: (old: T | undefined) => T | undefined): Promise<void> {
    return this.update('meta', key, change)
  }

  /** The meta keys that start with `prefix` (such as every kept build's manifest). */
  async metaKeys (prefix: string): Promise<string[]> {
    // U+FFFF sorts after any character a key here uses, so this range is exactly the keys with the prefix.
    return request(this.store('meta').getAllKeys(IDBKeyRange.bound(prefix, prefix + '\uffff'))) as Promise<string[]>
  }

  /** Reads one value and, when `change` returns a new one, writes it back, in one transaction. */
  private async update<T> (name: StoreName, key: string, change: (old: T | undefined) => T | undefined): Promise<void> {
    const tx = this.db.transaction(name, 'readwrite')
    const done = committed(tx)
    const store = tx.objectStore(name)
    const value = change(await request(store.get(key)))
    // Files are keyed by their own sha256 field; meta takes the key apart.
    if (value !== undefined) void (name === 'meta' ? store.put(value, key) : store.put(value))
    await done
  }
}
