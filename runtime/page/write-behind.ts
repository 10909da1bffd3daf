// The page's store, writing peers' pieces behind: a piece is readable here at once and goes to IndexedDB with the
// pieces that came in while the previous write ran, one transaction at a time. WebTorrent counts a piece verified
// (and announces it, and the response gets it) only once the chunk store's put called back; with a transaction per
// 16 KiB piece, hundreds queued up on a loaded machine and a media file's first chunk waited 3-8 s behind them
// (a probe of the bench's media page, 2026-12-06: the peers had sent the whole file in under 2 s).
import { assemble, covers, merge } from '../shared/layout.ts'
import { MAX_SEGMENT, Store, request, type Segment, type SegmentKey } from '../shared/store.ts'

interface Pending extends Segment { written: Promise<void>, done: (ok: boolean) => void }

/**
 * Bytes waiting to be written beyond which a put calls back only once written, as before, and the torrents ask peers
 * and the origin for nothing more until the writes catch up (`onRoom`, swarm.ts). Without that second rule IndexedDB
 * lagging behind fast peers left the page holding every piece they sent meanwhile: 9 MiB of a 40 MiB file on an idle
 * machine, and in CI, loaded, the streaming test's page and worker grew by 21.7 MiB (2026-12-07).
 */
const MOST_BEHIND = 4 * 1024 * 1024

export class WriteBehind extends Store {
  /** Segments not written yet, oldest first; while a write runs, the ones it holds are the first of them. */
  #pending: Pending[] = []
  /** Their bytes. */
  #behind = 0
  #writing = false
  /** Called when the bytes waiting fall back below MOST_BEHIND after reaching it. */
  readonly #room = new Set<() => void>()

  /** Whether little is waiting: a put may call back before its write, and the torrents may ask for more. */
  get ahead (): boolean {
    return this.#behind < MOST_BEHIND
  }

  /** Calls `f` each time the bytes waiting fall back below MOST_BEHIND; returns what stops that. */
  onRoom (f: () => void): () => void {
    this.#room.add(f)
    return () => this.#room.delete(f)
  }

  /** Queues a segment; it is readable from this store at once. Settles once written (rejects if it could not be). */
  later (segment: Segment): Promise<void> {
    let done!: (ok: boolean) => void
    // Rejected without a reason: the chunk store only needs to know the bytes are not stored.
    const written = new Promise<void>((resolve, reject) => { done = ok => ok ? resolve() : reject() })
    this.#pending.push({ ...segment, written, done })
    this.#behind += segment.bytes.length
    void this.#write()
    return written
  }

  async #write (): Promise<void> {
    if (this.#writing) return
    this.#writing = true
    while (this.#pending.length > 0) {
      // Everything waiting goes in one transaction; what comes meanwhile waits for the next.
      const batch = this.#pending.slice()
      const ok = await this.putSegments(batch).then(() => true, () => false)
      this.#pending = this.#pending.slice(batch.length)
      // Only a write makes room, so the backlog crossed back below the limit if and only if it does so here.
      const full = !this.ahead
      for (const s of batch) {
        this.#behind -= s.bytes.length
        s.done(ok)
      }
      // Not called here: a listener that throws would end this loop, and nothing queued would be written again.
      if (full && this.ahead) for (const f of this.#room) queueMicrotask(f)
    }
    this.#writing = false
  }

  /** The segments of file `sha256` waiting to be written that hold bytes of [start, end). */
  #held (sha256: string, start: number, end: number): Pending[] {
    return this.#pending.filter(p => p.sha256 === sha256 && p.start < end && p.start + p.bytes.length > start)
  }

  /**
   * Waits for the writes of bytes [start, end) of file `sha256` queued so far; false when one failed (quota): then
   * those bytes are not stored, whatever was read from memory meanwhile.
   */
  async settled (sha256: string, start = 0, end = Infinity): Promise<boolean> {
    return (await Promise.allSettled(this.#held(sha256, start, end).map(p => p.written))).every(r => r.status === 'fulfilled')
  }

  /** Stored ranges of every file, by SHA-256 (one key-only scan, for a downloader's startup bitfields). Here, not in
   * Store: the worker never needs it. */
  async allCoverage (): Promise<Map<string, Array<[number, number]>>> {
    const bySha = new Map<string, Array<[number, number]>>()
    for (const [sha, s, e] of await request(this.store('segments').getAllKeys()) as SegmentKey[]) {
      let list = bySha.get(sha)
      if (!list) bySha.set(sha, list = [])
      list.push([s, e])
    }
    for (const [sha, list] of bySha) bySha.set(sha, merge(list))
    return bySha
  }

  override async read (sha256: string, start: number, end: number): Promise<Uint8Array | undefined> {
    const held = this.#held(sha256, start, end)
    // Partly written already: the rest from the store once these are written too.
    return (held.length > 0 && assemble(held, start, end)) || (await this.settled(sha256, start, end), super.read(sha256, start, end))
  }

  /**
   * The length of the longest segment holding bytes of [start, end) of file `sha256` when they are all stored or
   * queued, else undefined: the database is asked for keys only.
   */
  async holds (sha256: string, start: number, end: number): Promise<number | undefined> {
    const segments = this.db.transaction('segments').objectStore('segments')
    const keys = await request(segments.getAllKeys(IDBKeyRange.bound([sha256, Math.max(0, start - MAX_SEGMENT)], [sha256, end], false, true))) as SegmentKey[]
    const ranges = [...keys.map(([, s, e]): [number, number] => [s, e]), ...this.#held(sha256, start, end).map((p): [number, number] => [p.start, p.start + p.bytes.length])]
      .filter(([, e]) => e > start)
    return covers(merge(ranges), start, end) ? Math.max(0, ...ranges.map(([s, e]) => e - s)) : undefined
  }

  override async markComplete (sha256: string): Promise<void> {
    if (await this.settled(sha256)) return super.markComplete(sha256)
  }

  // Pieces still queued find the file gone and are written again: the file's writes end first.
  override async remove (sha256: string): Promise<void> {
    await this.settled(sha256)
    return super.remove(sha256)
  }
}
