// The origin as a seeder (runs in the page). WebTorrent's own web seed asks past a file's end at file
// boundaries, bypasses the HTTP cache and appends unencoded torrent paths; this one asks for each file's part
// of a piece at the file's normal URL, through the HTTP cache, and marks the request so the worker lets it
// through instead of looping back to the peers. WebTorrent asks a web seed for one piece at a time (16 KiB in a
// small shard): this one reads ahead, up to READ_AHEAD within the same file, the pieces that nobody has yet,
// so a large file costs a few requests instead of one per piece. A run hands each piece over as soon as its bytes
// have arrived, so the piece is verified and offered to peers at once: in a crowd the others see its owner make
// progress and fetch from it while the origin still sends the rest of the run. In a crowd each member asks the origin only for its
// share of the pieces (share.ts) and waits a bounded while for the others' shares to reach it from their owners.
import type { Torrent } from 'webtorrent/dist/webtorrent.min.js'
import { spans } from '../shared/layout.ts'
import type { ShardPart } from '../shared/manifest.ts'
import type { DownloaderStats } from '../shared/messages.ts'
import type { Store } from '../shared/store.ts'
import { BYPASS_HEADER, fileUrl } from '../shared/urls.ts'
import { GROUP, type OriginShare } from './share.ts'
import { unreserve, webSeedConn } from './webtorrent-internals.ts'

const REQUEST_TIMEOUT = 60_000
/** Bytes fetched in one request at most when the following pieces are wanted too. */
const READ_AHEAD = 1024 * 1024
/** Read-ahead runs kept for the pieces WebTorrent asks for next. */
const RUNS = 4
/** How often pieces waiting for another member's share are looked at again. */
const RECHECK_EVERY = 250

interface Run { start: number, end: number, bytes: Arriving }

/** A run's bytes as the origin sends them: a read waits only for the bytes it asks for. */
export class Arriving {
  readonly #bytes: Uint8Array
  #got = 0
  #error: Error | undefined
  #waiting: Array<() => void> = []

  constructor (length: number) {
    this.#bytes = new Uint8Array(length)
  }

  /** The next bytes of the run arrived. */
  add (chunk: Uint8Array): void {
    this.#bytes.set(chunk, this.#got)
    this.#got += chunk.length
    this.#wake()
  }

  /** All of the run's bytes, at once (a run read from the store or from several files). */
  fill (bytes: Uint8Array): void {
    if (this.#got === bytes.length) return
    this.#bytes.set(bytes)
    this.#got = bytes.length
    this.#wake()
  }

  fail (err: Error): void {
    this.#error ??= err
    this.#wake()
  }

  /** Bytes [from, to) of the run, once they are in; rejects if the run fails first. */
  async read (from: number, to: number): Promise<Uint8Array> {
    while (this.#got < to) {
      if (this.#error) throw this.#error
      await new Promise<void>(resolve => this.#waiting.push(resolve))
    }
    return this.#bytes.slice(from, to)
  }

  #wake (): void {
    const waiting = this.#waiting
    this.#waiting = []
    for (const wake of waiting) wake()
  }
}

export interface OriginSeed {
  /** Offers again, at once, the declined pieces no peer may have any more (a peer left, was cut off, or said). */
  recheck (): void
  /** The origin's bytes for piece `index` failed verification: it serves another deploy now; never ask it again. */
  stale (index: number): void
  /** Pieces [first, last] are wanted from the origin now: takes them from the peers that reserved them. */
  take (first: number, last: number): void
}

/**
 * Adds the origin as a web seed of `torrent` (call once its metadata is ready). It is the seeder of last resort:
 * it declines the pieces `peerMayHave` says a connected peer has or may have, and, for a while, those `share` says
 * another member of the swarm is to fetch.
 */
export function addOriginSeed (torrent: Torrent, part: ShardPart, base: string, store: Store, stats: DownloaderStats, peerMayHave: (index: number) => boolean, share: OriginShare): OriginSeed | undefined {
  const id = new URL(base, location.href).href
  torrent.addWebSeed(id)
  const conn = webSeedConn(torrent, id)
  if (!conn) return undefined
  const declined = new Set<number>()
  const total = part.files.reduce((sum, f) => sum + f.size, 0)
  const runs: Run[] = []
  /**
   * Where a run starting at torrent byte `start` (the requested block ending at `end`) should stop: only a block
   * inside one file reads ahead, and only within that file (a piece straddling two files says nothing about
   * whether the next file is wanted).
   */
  const runEnd = (index: number, start: number, end: number, now: number): number => {
    const inside = spans(part.files, start, end)
    if (inside.length !== 1) return end
    const file = part.files[inside[0]!.file]!
    // Within this member's share of the pieces (a group is GROUP bytes; READ_AHEAD spans whole groups), less those a
    // peer may have unless a response that fell behind wants them from the origin.
    const limit = Math.min(start + READ_AHEAD, file.offset + file.size, total)
    const group = Math.floor(start / GROUP)
    let stop = end
    for (let i = index + 1; i * torrent.pieceLength < limit; i++) {
      if (torrent.bitfield.get(i) || (Math.floor(i * torrent.pieceLength / GROUP) !== group ? share.decide(i, now, peerMayHave(i), true) === 'wait' : peerMayHave(i) && !share.rushed(i))) break
      stop = Math.min(limit, (i + 1) * torrent.pieceLength)
    }
    return stop
  }
  const stale = new Set<number>()
  let timer: ReturnType<typeof setTimeout> | undefined
  /** Offers again the declined pieces that no peer has and this member may now take from the origin. */
  const recheck = (): void => {
    timer = undefined
    if (torrent.destroyed) return
    const now = Date.now()
    for (const index of declined) {
      if (torrent.bitfield.get(index)) {
        declined.delete(index)
        share.forget(index)
        continue
      }
      if (share.decide(index, now, peerMayHave(index)) === 'wait') continue
      declined.delete(index)
      conn.have(index)
    }
    if (declined.size > 0 && share.waiting()) timer = setTimeout(recheck, RECHECK_EVERY)
  }
  const decline = (index: number): void => {
    declined.add(index)
    // WebTorrent itself offers a declined piece again only after 10 s; a wait that runs out (share.ts) is noticed
    // here, while wire changes call recheck themselves.
    if (share.waiting()) timer ??= setTimeout(recheck, RECHECK_EVERY)
  }
  // WebTorrent's web-seed connection calls `httpRequest` for each piece it is asked for; replace that one step.
  conn.httpRequest = (index, offset, length, cb) => {
    // A declined piece is marked missing from the web seed, so WebTorrent asks the peers for it.
    // WebTorrent would ask again forever, each failure counting as download progress.
    if (stale.has(index)) return cb(new Error('stale'))
    const now = Date.now()
    if (share.decide(index, now, peerMayHave(index)) === 'wait') {
      decline(index)
      return cb(new Error('declined'))
    }
    declined.delete(index)
    const start = index * torrent.pieceLength + offset
    const end = start + length
    let run = runs.find(r => r.start <= start && end <= r.end)
    if (!run) {
      const stop = runEnd(index, start, end, now)
      const began = Date.now()
      const bytes = new Arriving(stop - start)
      run = { start, end: stop, bytes }
      fetchRange(part, base, start, stop, store, stats, bytes).then((b) => {
        bytes.fill(b)
        share.originTook(stop - start, Date.now() - began)
      }, (err: Error) => bytes.fail(err))
      runs.push(run)
      if (runs.length > RUNS) runs.shift()
    }
    const { start: at, bytes } = run
    bytes.read(start - at, end - at).then(b => cb(null, b), (err: Error) => {
      const i = runs.indexOf(run)
      if (i >= 0) runs.splice(i, 1)
      cb(err)
    })
  }
  return {
    recheck,
    stale: (index) => { stale.add(index) },
    take: (first, last) => {
      // The declined ones are offered again (recheck), and the web seed asks for them before any peer can.
      recheck()
      unreserve(torrent, first, last, id)
    }
  }
}

/**
 * Torrent bytes [start, end): what the store holds already (a piece often straddles a file the visitor has),
 * the rest from the origin with one Range request per file, in parallel. A range inside one file goes to `arriving`
 * as it comes in, besides.
 */
export async function fetchRange (part: ShardPart, base: string, start: number, end: number, store: Store, stats: Pick<DownloaderStats, 'fromOrigin'>, arriving?: Arriving): Promise<Uint8Array> {
  const out = new Uint8Array(end - start)
  const inside = spans(part.files, start, end)
  await Promise.all(inside.map(async (span) => {
    const file = part.files[span.file]!
    const held = await store.read(file.sha256, span.start, span.end).catch(() => undefined)
    if (held) return out.set(held, span.at)
    out.set(await fromOrigin(fileUrl(base, file.path), file.size, span.start, span.end, stats, inside.length === 1 ? arriving : undefined), span.at)
  }))
  return out
}

/** Set once the origin ignored a Range or compressed a ranged answer: from then on whole files, which the HTTP
 * cache keeps, instead of ranges it would answer with the whole file (or with bytes nobody can decode) each time. */
let wholeFiles = false

const get = (url: string, headers: Record<string, string>): Promise<Response> =>
  fetch(url, { headers: { ...headers, [BYPASS_HEADER]: '1' }, credentials: 'same-origin', signal: AbortSignal.timeout(REQUEST_TIMEOUT) })

/** Bytes [start, end) of the file at `url` (`size` bytes long) from the origin; a plain 206 is also fed to `arriving`. */
async function fromOrigin (url: string, size: number, start: number, end: number, stats: Pick<DownloaderStats, 'fromOrigin'>, arriving?: Arriving): Promise<Uint8Array> {
  const what = `${url}: bytes ${start}-${end - 1}`
  let res: Response | undefined
  if (!wholeFiles) {
    // Chromium fails the whole request when it cannot decode a compressed 206 (a slice of a gzip stream): a network
    // error on a range is worth one plain request, which tells a dead origin from one that spoils ranges.
    let spoiled = false
    res = await get(url, { Range: `bytes=${start}-${end - 1}` }).catch((err: Error) => {
      if (err.name !== 'TypeError') throw err
      spoiled = true
      return get(url, {})
    })
    // Firefox hands the compressed 206 over: it is a range of the compressed bytes, which nobody can decode.
    const encoded = spoiled || (res.headers.get('Content-Encoding') ?? 'identity') !== 'identity'
    if (res.status === 206 && !encoded) return readRange(res, end - start, what, stats, arriving)
    if (res.status !== 200 && res.status !== 206) throw new Error(`${what}: HTTP ${res.status}`)
    // A 200 for a range that is the whole file is a fair answer, not a sign of a server that ignores Range.
    const whole = res.status === 200 && !spoiled && start === 0 && end === size
    if (!whole) {
      wholeFiles = true
      console.warn(`planktos: the origin ${encoded ? 'compresses ranged answers' : 'ignores Range requests'}; the web seed fetches whole files. Answer Range with uncompressed 206s to save traffic.`)
    }
    if (res.status === 206) {
      await res.body?.cancel().catch(() => {})
      res = undefined
    }
  }
  res ??= await get(url, {})
  const bytes = new Uint8Array(await res.arrayBuffer())
  stats.fromOrigin += bytes.length
  if (res.status !== 200 || bytes.length !== size) throw new Error(`${what}: HTTP ${res.status} with ${bytes.length} of ${size} bytes`)
  return bytes.subarray(start, end)
}

/** The body of a 206 for `length` bytes, fed to `arriving` as it comes in. */
async function readRange (res: Response, length: number, what: string, stats: Pick<DownloaderStats, 'fromOrigin'>, arriving?: Arriving): Promise<Uint8Array> {
  if (!arriving || !res.body) {
    const bytes = new Uint8Array(await res.arrayBuffer())
    stats.fromOrigin += bytes.length
    if (bytes.length !== length) throw new Error(`${what}: ${bytes.length} bytes came back`)
    return bytes
  }
  const out = new Uint8Array(length)
  let got = 0
  const reader = res.body.getReader()
  for (;;) {
    const { value, done } = await reader.read()
    if (done) break
    stats.fromOrigin += value.length
    if (got + value.length > length) {
      void reader.cancel().catch(() => {})
      throw new Error(`${what}: more than ${length} bytes came back`)
    }
    out.set(value, got)
    got += value.length
    arriving.add(value)
  }
  if (got !== length) throw new Error(`${what}: ${got} bytes came back`)
  return out
}
