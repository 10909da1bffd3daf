// Large site files, streamed: a response starts with the first verified bytes instead of waiting for the whole
// file. One download per file feeds every request for it (a media element asks for several ranges while it
// plays and seeks): the download writes to the store as it goes, and each response reads its own range from
// there, so memory holds about a chunk per response whatever the file's size. The download fetches the file in
// order, from its start, so it can be verified and seeded, but no further than AHEAD past its furthest reader, from
// peers or the origin, and not on once nobody reads (in a browser with WebRTC); its SHA-256 is checked at the end,
// and the last bytes of the file reach a response only after that check passed (otherwise the response errors and
// the stored bytes go).
import type { Store } from '../shared/store.ts'
import { fileUrl } from '../shared/urls.ts'
import { delay } from './delay.ts'
import type { FileRequest } from './file-request.ts'
import { completed, discard, reserve } from './keep.ts'
import { broadcast, listens, listensSoon, pageForPeers, pageWithPeers, peersPossible } from './pages.ts'
import { chunkQuiet, openPeers, type PeerFeed } from './peers.ts'
import { fileResponse, type Part } from './respond.ts'
import { config, scope } from './scope.ts'
import { Sha256 } from './sha256.ts'
import { refreshManifest, type Found } from './site.ts'
import { count, delivered, served } from './stats.ts'

/** Files at least this large are streamed; smaller ones are verified whole before they are answered. */
export const STREAM_FROM = 1024 * 1024
/** Bytes per store read and per store write of origin bytes. */
const CHUNK = 1024 * 1024
/** The origin's first chunk when peers may take over soon: enough for a media element's metadata. */
const FIRST_FROM_ORIGIN = 256 * 1024
/** How long a seek far ahead may wait for the download to get there (at its pace so far) rather than ask the origin. */
const SLOWER = 1000
/** How far the origin's bytes of a kept file are fetched ahead of the furthest response reading them. */
const AHEAD = 4 * CHUNK

type Source = 'store' | 'peers' | 'origin'

const downloads = new Map<string, Download>()
/** How often pages are asked for an event while a body streams: well within Firefox's 30 s. */
const KEEP_ALIVE_EVERY = 10_000
let streaming = 0
let ticker: ReturnType<typeof setInterval> | undefined

/** Counts a body that starts (+1) or ends (-1) streaming; while any does, pages keep the worker running. */
function streams (delta: number): void {
  streaming += delta
  if (streaming > 0 && !ticker) ticker = setInterval(() => { void broadcast({ type: 'keep-alive' }) }, KEEP_ALIVE_EVERY)
  if (streaming === 0 && ticker) {
    clearInterval(ticker)
    ticker = undefined
  }
}

class Download {
  readonly found: Found
  readonly db: Store
  readonly started = Date.now()
  /** Bytes [0, pos) are stored (or held in memory until they are) and being hashed. */
  pos = 0
  /** Where the bytes came from most recently, for the response header. */
  source: Source = 'store'
  /**
   * Responses still reading; with none left, the download does not turn to the origin (in a browser with WebRTC).
   * Firefox cancels a response's body only once it is given more bytes: one whose page cancelled after reading all
   * it was given counts until the next chunk comes (browser-late-peers).
   */
  readers = 0
  /** Settles true once the whole file matched its SHA-256 and is stored; false when it failed or was given up. */
  readonly done: Promise<boolean>
  /**
   * Settles true once the whole file matched its SHA-256, before it is stored: the last bytes reach the responses
   * then, not after the store's writes (in WebKit a 2.8 MB file's last write took ~190 ms).
   */
  readonly verified: Promise<boolean>
  #verdict!: (ok: boolean) => void
  ended = false
  /** Stopped because nobody read any more: a request that comes meanwhile starts a download of its own. */
  stopped = false
  /**
   * Whether the file goes into the store. One larger than maxStorage streams through instead: from the origin
   * (peers' pieces would land in the store), each chunk held until every response read it.
   */
  kept = true
  /** Where each response reading a file that is not kept has got to: the download waits for the slowest. */
  readonly cursors = new Set<{ at: number }>()
  #last: { start: number, bytes: Uint8Array } | undefined
  /**
   * Origin bytes handed to responses before they are in the store (oldest first): a response gets each piece as it
   * arrives, not after a megabyte of it was written, and reads it from here until the write has committed. Also the
   * latest chunk from peers (#fromPage).
   */
  #unstored: Array<{ start: number, bytes: Uint8Array }> = []
  /** The latest chunk from peers, among #unstored until the page has written it. */
  #fromPage: { start: number, bytes: Uint8Array } | undefined
  /** The store writes of origin bytes under way, one after another. */
  #writes: Promise<void> = Promise.resolve()
  #waiting: Array<() => void> = []
  #hash = new Sha256()
  /** The hashing of the bytes taken so far, behind the responses (see #take). */
  #hashing: Promise<void> = Promise.resolve()

  constructor (found: Found, db: Store, url: string, requester: string) {
    this.found = found
    this.db = db
    this.verified = new Promise(resolve => { this.#verdict = resolve })
    this.done = this.#run(url, requester).catch(() => false).then(async ok => {
      this.#verdict(false)
      // Every write has settled before the download ends (a failed one's bytes stay for a later download).
      await this.#writes
      this.ended = true
      this.#notify()
      if (downloads.get(found.entry.sha256) === this) downloads.delete(found.entry.sha256)
      count('ended')
      return ok
    })
  }

  /** Resolves once byte `at` is hashed and stored, or the download ended without it. */
  async reach (at: number): Promise<void> {
    while (this.pos <= at && !this.ended) await new Promise<void>(resolve => this.#waiting.push(resolve))
  }

  /**
   * Bytes from `start` on, up to `end` (below `pos`): from the latest chunk or an origin piece not stored yet when one
   * holds `start` (then they may end sooner, with that piece), else from the store.
   */
  read (start: number, end: number): Promise<Uint8Array | undefined> {
    const last = this.#last
    if (last && start >= last.start && end <= last.start + last.bytes.length) {
      return Promise.resolve(last.bytes.slice(start - last.start, end - last.start))
    }
    const piece = this.#unstored.find(p => start >= p.start && start < p.start + p.bytes.length)
    if (piece) return Promise.resolve(piece.bytes.slice(start - piece.start, Math.min(end, piece.start + piece.bytes.length) - piece.start))
    // What the store has: up to the first piece still being written.
    const stored = this.#unstored.find(p => p.start > start)?.start ?? end
    return this.db.read(this.found.entry.sha256, start, Math.min(end, stored))
  }

  /** Whether bytes [start, ...) can still be read: always for a kept file, from the latest chunk otherwise. */
  holds (start: number): boolean {
    return this.kept || (!!this.#last && start >= this.#last.start)
  }

  /** A response read on (a file that is not kept waits for that). */
  moved (): void {
    this.#notify()
  }

  /** Whether a response reads within `gap` of the download (AHEAD: what the browser's own request would have in flight). */
  #near (gap = AHEAD): boolean {
    return [...this.cursors].some(c => this.pos - c.at <= gap)
  }

  /**
   * Waits while every response reads more than `gap` behind the download; false once none reads. A feed from a page
   * stopped at AHEAD starts again at half that, so that a reader slower than its peers (a media element playing) costs
   * the page a new request every 2 MiB it reads, not every chunk.
   */
  async #caughtUp (gap?: number): Promise<boolean> {
    while (this.readers && !this.#near(gap)) await new Promise<void>(resolve => this.#waiting.push(resolve))
    return this.readers > 0
  }

  /** Waits until every response has read the latest chunk; false when none reads any more. */
  async #drained (): Promise<boolean> {
    while (this.readers > 0 && [...this.cursors].some(c => c.at < this.pos)) await new Promise<void>(resolve => this.#waiting.push(resolve))
    return this.readers > 0
  }

  #notify (): void {
    const waiting = this.#waiting
    this.#waiting = []
    for (const wake of waiting) wake()
  }

  #take (bytes: Uint8Array, source: Source): void {
    if (source === 'peers') {
      // A page hands over a chunk before its own bytes are written, and the next once everything before it is
      // (page/write-behind.ts), the last once the whole file is: the latest peers' chunk is read from memory until
      // then, and stays there if the page goes away first (the file is then not marked stored: Store.markComplete).
      const peers = { start: this.pos, bytes }
      this.#unstored = this.#unstored.filter(p => p !== this.#fromPage)
      this.#fromPage = this.pos + bytes.length < this.found.entry.size ? peers : undefined
      if (this.#fromPage) this.#unstored.push(peers)
    }
    // Hashed a slice per task, after the bytes went to the responses: hashing a large piece at once (WebKit hands a
    // worker a whole loopback response in one) held the first bytes of a media file back for hundreds of ms.
    this.#hashing = this.#hashing.then(() => hashSlices(this.#hash, bytes))
    this.source = source
    this.#last = { start: this.pos, bytes }
    this.pos += bytes.length
    this.#notify()
  }

  async #run (url: string, requester: string): Promise<boolean> {
    const { entry } = this.found
    const size = entry.size
    this.kept = await reserve(this.found)
    if (!this.kept) {
      await this.#fromOrigin(url, size)
      if (this.pos !== size) return false
      const matched = await this.#check()
      if (!matched) await discard(entry.sha256)
      return matched
    }
    // What an interrupted download stored is read back and hashed, not fetched again.
    const held = (await this.db.coverage(entry.sha256))[0]
    while (held && held[0] === 0 && this.pos < held[1]) {
      const bytes = await this.db.read(entry.sha256, this.pos, Math.min(held[1], this.pos + CHUNK))
      if (!bytes) break
      this.#take(bytes, 'store')
    }
    // The settings of the build this file belongs to, not of the newest deploy the worker knows.
    const { peerTimeout } = this.found.manifest.settings
    let feed = this.pos < size ? await this.#peers(requester, peerTimeout) : undefined
    while (feed && this.pos < size) {
      let got = false
      for (let bytes = await feed.next(chunkQuiet(peerTimeout)); bytes; bytes = this.pos < size && this.#near() ? await feed.next(chunkQuiet(peerTimeout)) : undefined) {
        if (bytes.length > size - this.pos) return false
        this.#take(bytes, 'peers')
        got = true
      }
      feed.close()
      // Every response reads far behind (a paused media element), or none does: closing the feed dropped the page's
      // selection, which would otherwise fetch the whole file from peers and the origin's web seed for a visitor who
      // read its start. Once nobody reads, the download stops here.
      if (this.pos < size && !await this.#caughtUp(AHEAD / 2)) return !(this.stopped = true)
      // They read on, or the page supplying it left or stalled after some progress: a page (another, perhaps)
      // carries on before the origin.
      feed = got && this.pos < size ? await this.#peers('', peerTimeout) : undefined
    }
    if (this.pos < size) await this.#fromOriginAndPeers(url, requester, peerTimeout)
    if (this.pos !== size) return false
    const matched = await this.#check()
    await this.#writes
    if (!matched) {
      await discard(entry.sha256)
      return false
    }
    await completed(this.found)
    return true
  }

  /** Whether the file matched its SHA-256, once every byte taken is hashed; the responses learn it at once. */
  async #check (): Promise<boolean> {
    await this.#hashing
    const ok = this.#hash.hex() === this.found.entry.sha256
    this.#verdict(ok)
    return ok
  }

  /** A page supplying the file from peers from `pos` on; the requesting page gets a moment to start listening. */
  async #peers (requester: string, peerTimeout: number): Promise<PeerFeed | undefined> {
    const signal = new AbortController().signal
    const open = (): Promise<PeerFeed | undefined> => openPeers(this.found, [], requester, peerTimeout, () => {}, signal, this.pos)
    const feed = await open()
    // A media element asks for its file before the page's own scripts run: that page can ask its peers soon.
    if (feed || requester === '' || await listens(requester) || !await listensSoon(requester, peerTimeout)) return feed
    return open()
  }

  /**
   * The rest of the file, a chunk at a time from the origin while pages are asked again in the background: a page
   * that connects to peers meanwhile (often the requesting page, a moment after its media asked) supplies the rest.
   * The first chunk is small: a media element often reads only the start (its metadata) before it pauses. Before
   * each later chunk the worker waits for peers, asking again, a while (twice `peerTimeout` in all), so a file peers
   * can supply after a short delay mostly comes from peers, and a file they cannot still plays on. Once no response
   * reads any more, the download stops: without planktos nobody would have fetched the rest either (and the
   * requesting page's web seed would take from the origin what peers lack). Without WebRTC it fetches on.
   */
  async #fromOriginAndPeers (url: string, requester: string, peerTimeout: number): Promise<void> {
    const { entry } = this.found
    const abort = new AbortController()
    let hedge: { from: number, at: number, feed: Promise<PeerFeed | undefined> } | undefined
    let patience = 2 * peerTimeout
    let first = true
    const ask = (from: number): void => {
      hedge = { from, at: Date.now(), feed: openPeers(this.found, [], requester, peerTimeout, () => {}, abort.signal, from).catch(() => undefined) }
    }
    try {
      while (this.pos < entry.size) {
        // No page could ask peers, nor will the requesting page soon: the rest in one request, as without planktos.
        // Without WebRTC (WebKit here) the first 256 KiB come first, on their own: WebKit handed the worker's fetch
        // a 2.8 MB loopback body in one piece, 200 ms after its headers, and the media element waited for all of it.
        // Then the rest, even if nobody reads any more, as the browser does without planktos.
        if (!hedge && !await this.#mayGetPeers(requester)) {
          if (await peersPossible()) return void (this.readers > 0 && await this.#fromOrigin(url, entry.size))
          if (!await this.#fromOrigin(url, this.pos ? entry.size : Math.min(entry.size, FIRST_FROM_ORIGIN))) return
          continue
        }
        while (hedge && !first && this.pos < entry.size) {
          const started = Date.now()
          // Out of patience, a page that is ready by now still takes over; nobody is waited for.
          const feed = await Promise.race([hedge.feed, delay(Math.max(0, patience))])
          patience -= Date.now() - started
          if (feed === false) break
          const { from, at } = hedge
          hedge = undefined
          if (feed) await this.#fromFeed(feed, from, peerTimeout)
          if (this.pos >= entry.size) break
          // The feed stopped for readers far behind (#run): a new one once they catch up, asked at once and with the
          // patience for peers renewed (else a playing element's pauses would use it up, and the origin would then send
          // a chunk at each).
          if (!this.#near()) {
            if (!await this.#caughtUp(AHEAD / 2)) break
            patience = 2 * peerTimeout
            ask(this.pos)
            continue
          }
          // Nobody ready yet, or the page stopped supplying before the end: while patience lasts, ask again (not
          // more often than every peerTimeout / 4).
          const pause = Math.max(0, Math.min(patience, peerTimeout / 4 - (Date.now() - at)))
          await delay(pause)
          patience -= pause
          if (patience <= 0) break
          ask(this.pos)
        }
        if (this.pos >= entry.size) continue
        // Nobody waits for the rest any more: the origin is asked when someone asks again (peers need not wait).
        if (this.readers === 0) return void (this.stopped = true)
        const length = first ? FIRST_FROM_ORIGIN : CHUNK
        first = false
        // A request for what follows the chunk the origin is about to send: pages connect to peers over time.
        if (!hedge && this.pos + length < entry.size) ask(this.pos + length)
        if (!await this.#fromOrigin(url, Math.min(entry.size, this.pos + length))) return
      }
    } finally {
      abort.abort()
      void hedge?.feed.then(feed => feed?.close())
    }
  }

  /** Whether a page may supply the file from peers before long. */
  async #mayGetPeers (requester: string): Promise<boolean> {
    const trackers = this.found.manifest.settings.announce.length
    if (await pageForPeers(requester, this.found.shard.infoHash, trackers)) return true
    if (trackers === 0 || !await peersPossible()) return false
    // A page whose scripts have not run yet (its media asked first) connects to peers in a moment.
    return requester !== '' && !await listens(requester) && !!await scope.clients.get(requester)
  }

  /** Takes what `feed` (which starts at byte `from`) sends beyond `pos`. */
  async #fromFeed (feed: PeerFeed, from: number, peerTimeout: number): Promise<void> {
    const size = this.found.entry.size
    let at = from
    for (let bytes = await feed.next(chunkQuiet(peerTimeout)); bytes; bytes = this.pos < size && this.#near() ? await feed.next(chunkQuiet(peerTimeout)) : undefined) {
      if (at + bytes.length > size) break
      // Bytes the origin supplied while the page got ready are dropped.
      const skip = Math.min(bytes.length, Math.max(0, this.pos - at))
      at += bytes.length
      if (skip === bytes.length) continue
      this.#take(bytes.subarray(skip), 'peers')
    }
    feed.close()
  }

  /**
   * Bytes [pos, to) of the file from the origin, stored; false when the origin cannot supply them. A server
   * ignoring Range sends the whole file: then all the rest is taken from that response, a chunk at a time.
   */
  async #fromOrigin (url: string, to: number): Promise<boolean> {
    const { entry } = this.found
    const from = this.pos
    const res = await fromOrigin(entry, url, from, to)
    // Another deploy's file, or none: this download ends unverified.
    if (!res?.body) return false
    const whole = res.status === 200
    const end = whole ? entry.size : to
    const reader = res.body.getReader()
    // A server ignoring Range sends the file from its start: skip what we have.
    const next = after(reader, whole ? from : 0)
    if (this.kept) return this.#keepFromOrigin(reader, next, end)
    const buf = new Uint8Array(CHUNK)
    let held = 0
    const flush = async (): Promise<boolean> => {
      if (held === 0) return true
      const bytes = buf.slice(0, held)
      held = 0
      if (!await this.#drained()) return false
      this.#take(bytes, 'origin')
      return true
    }
    for (let v; (v = await next());) {
      if (this.pos + held + v.length > end) {
        void reader.cancel()
        void refreshManifest()
        return false
      }
      while (v.length > 0) {
        const n = Math.min(CHUNK - held, v.length)
        buf.set(v.subarray(0, n), held)
        held += n
        v = v.subarray(n)
        // Nobody reads a file that is not kept any more: without planktos, nobody would fetch the rest either.
        if (held === CHUNK && !await flush()) {
          void reader.cancel()
          return false
        }
      }
    }
    return await flush() && this.pos === end
  }

  /**
   * Bytes [pos, end) of a kept file from `reader` (read by `next`): each piece reaches the responses as it
   * arrives, and is stored a chunk at a time behind them. Settles once every write has committed.
   */
  async #keepFromOrigin (reader: ReadableStreamDefaultReader<Uint8Array>, next: () => Promise<Uint8Array | undefined>, end: number): Promise<boolean> {
    const { entry } = this.found
    /** Pieces not yet handed to a write. */
    let batch: Array<{ start: number, bytes: Uint8Array }> = []
    let held = 0
    const write = (): void => {
      if (batch.length === 0) return
      const pieces = batch
      batch = []
      held = 0
      const bytes = concat(pieces.map(p => p.bytes))
      this.#writes = this.#writes.then(async () => {
        // A store that refuses the bytes (quota) still lets the responses reading right now have them.
        const put = await this.db.putSegments([{ sha256: entry.sha256, size: entry.size, start: pieces[0]!.start, bytes }]).then(() => true, () => false)
        this.#unstored = this.#unstored.filter(p => !pieces.includes(p))
        // Visitors who arrive while this one fetches the file can take these bytes from its page at once, not only
        // once the whole file is in: the page checks each piece they complete against the torrent's SHA-1 first.
        const from = pieces[0]!.start
        if (put) void broadcast({ type: 'stored', files: [{ sha256: entry.sha256, infoHash: this.found.shard.infoHash }], range: [from, from + bytes.length] })
      })
    }
    try {
      for (let v; (v = await next());) {
        if (this.pos + v.length > end) {
          void reader.cancel()
          void refreshManifest()
          return false
        }
        const piece = { start: this.pos, bytes: v }
        this.#unstored.push(piece)
        batch.push(piece)
        held += v.length
        this.#take(v, 'origin')
        if (held >= CHUNK) write()
        // Nobody reads any more (a media element that sought far ahead, a page that left): the browser's own request
        // would end here too, and the rest would take the link from the seek's range. Without WebRTC it goes on
        // (WebKit's media element cancels and asks again all the time).
        if (!this.readers && await peersPossible()) {
          this.stopped = true
          break
        }
        // Nor does it read far ahead of the responses (a paused media element): what the browser's own request would
        // have in flight, not the whole file, and the link stays free for a seek's range.
        await this.#caughtUp()
        // The store is slower than the network: memory holds a few chunks at most.
        if (this.pos - (this.#unstored[0]?.start ?? this.pos) > 4 * CHUNK) await this.#writes
      }
      write()
      // What nobody reads is not fetched (a reader that has ended cancels nothing).
      void reader.cancel()
      return this.pos === end
    } catch (e) {
      await this.#writes
      throw e
    }
  }
}

/**
 * The origin's response for bytes [from, to) of a file: a 206 for them, or the whole file (a 200: a server ignoring
 * Range sends it from its start); undefined when it sent another deploy's file, or none (the worker then learns about
 * the deploy).
 */
async function fromOrigin (entry: Found['entry'], url: string, from: number, to: number): Promise<Response | undefined> {
  // The whole file from the URL the page asked for, so the HTTP cache entry is the one the site has without planktos
  // (without WebRTC the file comes in two ranges instead, see #fromOriginAndPeers).
  const whole = from === 0 && to === entry.size
  const res = await fetch(whole ? url : fileUrl(config.base, entry.path), {
    headers: whole ? {} : { Range: `bytes=${from}-${to === entry.size ? '' : to - 1}` },
    credentials: 'same-origin'
  })
  if (res.body && (res.status === 200 || (res.status === 206 && res.headers.get('Content-Range') === `bytes ${from}-${to - 1}/${entry.size}`))) return res
  void refreshManifest()
  await res.body?.cancel()
}

/** The next non-empty bytes of `reader` past its first `skip`, or undefined at its end. */
function after (reader: ReadableStreamDefaultReader<Uint8Array>, skip: number): () => Promise<Uint8Array | undefined> {
  return async () => {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return undefined
      const n = Math.min(skip, value.length)
      skip -= n
      if (n < value.length) return value.subarray(n)
    }
  }
}

const HASH_SLICE = 256 * 1024

/** Lets the worker's other tasks (the responses reading) run. */
const yieldTask = (): Promise<void> => new Promise(resolve => {
  const { port1, port2 } = new MessageChannel()
  port1.onmessage = () => {
    port1.close()
    resolve()
  }
  port2.postMessage(null)
})

/** Feeds `bytes` to `hash` a slice per task. */
async function hashSlices (hash: Sha256, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length; at += HASH_SLICE) {
    hash.update(bytes.subarray(at, at + HASH_SLICE))
    if (at + HASH_SLICE < bytes.length) await yieldTask()
  }
}

/** The bytes of `pieces` one after another (the piece itself when there is one). */
export function concat (pieces: Uint8Array[]): Uint8Array {
  if (pieces.length === 1) return pieces[0]!
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of pieces) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** A body reading `part` of a download as it arrives; the file's last bytes wait for its SHA-256 check. */
function body (d: Download, part: Part, cursor: { at: number }, source: Source): ReadableStream<Uint8Array> {
  const { size } = d.found.entry
  let at = part.start
  let reading = true
  streams(1)
  const stop = (): void => {
    if (reading) {
      d.readers--
      streams(-1)
      d.cursors.delete(cursor)
      d.moved()
    }
    reading = false
  }
  return new ReadableStream<Uint8Array>({
    async pull (controller) {
      await d.reach(at)
      const want = Math.min(part.end, d.pos, at + CHUNK)
      const bytes = want > at ? await d.read(at, want) : undefined
      // A read may end sooner than asked for, with an origin piece that is not stored yet.
      const end = at + (bytes?.length ?? 0)
      if (!bytes || end === at || (end === size && !await d.verified)) {
        stop()
        // The page sees a network error whatever the reason given, so none is.
        return controller.error()
      }
      controller.enqueue(bytes)
      delivered(source, bytes.length)
      at = cursor.at = end
      d.moved()
      if (at < part.end) return
      stop()
      controller.close()
    },
    cancel: stop
  }, { highWaterMark: 0 })
}

/** The origin's answer for `range` of a file, with the worker's headers; undefined when it sent no such range. */
async function originPart ({ entry }: Found, url: string, range: Part, part: Part | undefined): Promise<Response | undefined> {
  const res = await fromOrigin(entry, url, range.start, range.end)
  if (res?.status !== 206) return void res?.body?.cancel()
  served('origin', 0)
  return fileResponse(entry, passed(res.body!), 'origin', part)
}

/**
 * The origin's body as the page reads it: counted as it goes, as the download's bodies are, and keeping the worker
 * running meanwhile (Firefox cut a response of a worker that had no event for 30 s, and its page took it as whole).
 */
function passed (origin: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = origin.getReader()
  let on = 1
  streams(1)
  const stop = (): void => {
    streams(-on)
    on = 0
  }
  return new ReadableStream<Uint8Array>({
    async pull (controller) {
      try {
        const { value, done } = await reader.read()
        if (done) {
          stop()
          return controller.close()
        }
        delivered('origin', value.length)
        controller.enqueue(value)
      } catch {
        stop()
        controller.error()
      }
    },
    cancel () {
      stop()
      return reader.cancel()
    }
  }, { highWaterMark: 0 })
}

/** Whether file `sha256` is being downloaded: a request for it joins the download without asking the store. */
export const downloading = (sha256: string): boolean => downloads.has(sha256)

/**
 * A response streaming `part` (default: all) of a large file the store lacks, from peers or the origin, or
 * undefined when neither can start it. The download goes on after the response, kept alive by the request's event
 * for EVENT_MAX (file-request.ts) and, while any response streams, by the responses.
 */
export async function streamFile ({ found, request, requester, waitUntil }: FileRequest, db: Store, part: Part | undefined): Promise<Response | undefined> {
  const { entry } = found
  const range = part ?? { start: 0, end: entry.size }
  const was = downloads.get(entry.sha256)
  // What an earlier download stored from the file's start, which a new one reads back at once (not asked while one
  // runs: the store's writes would hold the answer back).
  const held = was ? undefined : (await db.coverage(entry.sha256).catch(() => []))[0]
  const big = entry.size > found.manifest.settings.maxStorage
  // A response starting further on than the download is about to get (a seek, or an MP4's index at the end) is asked
  // of the origin at once, as without planktos: the download fetches its file in order, and waiting for it to get
  // there from the origin took as long as fetching everything before it. When a page is connected to peers in the
  // file's swarm, it waits for the download, which peers who hold the file supply at their speed (and then the
  // origin sends nothing), unless the download's pace so far says it would take longer than SLOWER ms, and for at
  // most SLOWER ms (a crowd that does not hold the file yet is slower than the origin). A file too large to keep is
  // read once, in order, from the origin: any range past it goes, rather than have the download fetch and drop
  // everything before it.
  const from = Math.max(was?.pos ?? 0, held?.[0] ? 0 : held?.[1] ?? 0)
  const far = range.start > from + (big ? 0 : CHUNK)
  if (far && (big || (!was && range.start > from + AHEAD) || !await pageWithPeers(found.shard.infoHash) || (!!was?.pos && (range.start - was.pos) * (Date.now() - was.started) > was.pos * SLOWER))) {
    return originPart(found, request.url, range, part)
  }
  let d = downloads.get(entry.sha256)
  if (!d || d.stopped) downloads.set(entry.sha256, d = new Download(found, db, request.url, requester))
  // Counted before any wait, so the download knows someone is waiting for it (and where it will read from).
  d.readers++
  const cursor = { at: range.start }
  d.cursors.add(cursor)
  // A download waiting for its readers to catch up (AHEAD) looks again: this one may read at its end.
  d.moved()
  waitUntil(d.done)
  await (far ? Promise.race([d.reach(range.start), delay(SLOWER)]) : d.reach(range.start))
  // A file that is not kept has only its latest chunk: a response starting before it goes to the network.
  if (d.pos <= range.start || !d.holds(range.start)) {
    d.readers--
    d.cursors.delete(cursor)
    d.moved()
    return far ? originPart(found, request.url, range, part) : undefined
  }
  served(d.source, 0)
  return fileResponse(entry, body(d, range, cursor, d.source), d.source, part)
}

/**
 * A body reading `part` (default: all) of a complete stored file; a whole read is checked against its SHA-256.
 * Its bytes count as served from the store as the page reads them.
 */
export function storedBody (db: Store, found: Found, part?: Part): ReadableStream<Uint8Array> {
  const { entry } = found
  const range = part ?? { start: 0, end: entry.size }
  const hash = part ? undefined : new Sha256()
  let at = range.start
  let reading = true
  streams(1)
  const stop = (): void => {
    if (reading) streams(-1)
    reading = false
  }
  return new ReadableStream<Uint8Array>({
    async pull (controller) {
      const end = Math.min(range.end, at + CHUNK)
      const bytes = await db.read(entry.sha256, at, end)
      hash?.update(bytes ?? new Uint8Array(0))
      if (!bytes || (end === entry.size && hash && hash.hex() !== entry.sha256)) {
        // A store can be corrupted (or tampered with) after it was written.
        if (hash) await discard(entry.sha256)
        stop()
        return controller.error()
      }
      controller.enqueue(bytes)
      delivered('store', bytes.length)
      at = end
      if (at < range.end) return
      stop()
      controller.close()
    },
    cancel: stop
  }, { highWaterMark: 0 })
}
