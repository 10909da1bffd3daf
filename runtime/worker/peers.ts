// Site files from peers, through an open page that runs the downloader (workers have no WebRTC).
// The exchange is request -> progress* -> ready -> (pull -> progress* -> chunk)*, on a MessageChannel: the page
// sends each chunk as soon as WebTorrent has verified its pieces, one per pull, so the worker sets the pace and
// neither side holds more than a chunk. A `miss` may come at any point. Every wait has a deadline, so a tab
// that closes or a downloader that crashes only costs that deadline.
import type { FileRef, Message } from '../shared/messages.ts'
import { PortReader } from '../shared/port.ts'
import { pageForPeers } from './pages.ts'
import { worthStarting } from './peers-help.ts'
import { scope, type WorkerClient } from './scope.ts'
import type { Found } from './site.ts'

/** Longest silence from the page before the worker gives up on it (the origin hedge starts much earlier). */
export const stallAfter = (peerTimeout: number): number => Math.max(15_000, 2 * peerTimeout)
/**
 * Longest silence (no chunk, no more verified bytes) from a page streaming a file before the worker turns elsewhere.
 * The page itself takes a piece from the origin once peers kept it waiting (at most twice peerTimeout, share.ts), so
 * a page silent longer than that is stuck; a shorter wait would have the worker fetch from the origin what the
 * page's crowd is about to deliver (the origin's pieces split among visitors take a while to come round).
 */
export const chunkQuiet = (peerTimeout: number): number => 3 * peerTimeout
/** How often the worker checks, while the page is silent, that the page still exists. */
const CHECK_EVERY = 500

/**
 * The page's next message, or undefined after `ms` of silence or as soon as the page is gone: a closing tab may not
 * get to say so, and a crashed one cannot.
 */
async function nextFrom (reader: PortReader, page: WorkerClient, ms: number): Promise<Message | undefined> {
  const deadline = Date.now() + ms
  for (;;) {
    const m = await reader.next(Math.max(0, Math.min(CHECK_EVERY, deadline - Date.now())))
    if (m) return m
    if (Date.now() >= deadline || !reader.open || !await scope.clients.get(page.id)) return undefined
  }
}

/** What a page needs to find and check a file. */
export const fileRef = ({ entry, shard }: Found): FileRef =>
  ({ path: entry.path, sha256: entry.sha256, size: entry.size, infoHash: shard.infoHash })

/** One page supplying one file from peers, chunk by chunk. */
export class PeerFeed {
  readonly #reader: PortReader
  readonly #page: WorkerClient
  readonly #onProgress: () => void
  /** The most verified bytes the page reported: only more than that is progress. */
  #verified = 0

  constructor (reader: PortReader, page: WorkerClient, onProgress: () => void) {
    this.#reader = reader
    this.#page = page
    this.#onProgress = onProgress
  }

  /** Whether a `progress` report says more bytes of the file were verified (calls `onProgress` if so). */
  progressed (bytes: number): boolean {
    if (!(bytes > this.#verified)) return false
    this.#verified = bytes
    this.#onProgress()
    return true
  }

  /**
   * The next verified bytes of the file, or undefined when the page can supply no more: it said so, went away,
   * or neither sent bytes nor reported more verified bytes for `quiet` ms.
   */
  async next (quiet: number): Promise<Uint8Array | undefined> {
    if (!this.#reader.open) return undefined
    this.#reader.post({ type: 'pull' })
    let deadline = Date.now() + quiet
    for (;;) {
      const m = await nextFrom(this.#reader, this.#page, Math.max(0, deadline - Date.now()))
      if (m?.type === 'progress') {
        if (this.progressed(m.bytes)) deadline = Date.now() + quiet
        continue
      }
      if (m?.type === 'chunk' && m.bytes.byteLength > 0) return new Uint8Array(m.bytes)
      this.close()
      return undefined
    }
  }

  /** Ends the exchange; the page stops fetching what only this request wanted. */
  close (): void {
    if (!this.#reader.open) return
    try { this.#reader.post({ type: 'cancel' }) } catch {}
    this.#reader.close()
  }
}

/**
 * A page supplying the file from byte `from` on, once it says peers have it (`ready`), or undefined when no page
 * can. `deps` are fetched along (a navigation's subresources). `onProgress` is called whenever the page reports
 * progress; `signal` cancels.
 */
export async function openPeers (found: Found, deps: FileRef[], preferred: string, peerTimeout: number, onProgress: () => void, signal: AbortSignal, from = 0): Promise<PeerFeed | undefined> {
  const page = await pageForPeers(preferred, found.shard.infoHash, found.manifest.settings.announce.length, worthStarting(found.entry))
  if (!page || signal.aborted) return undefined
  const channel = new MessageChannel()
  const reader = new PortReader(channel.port1)
  const feed = new PeerFeed(reader, page, onProgress)
  // Stays attached: after `ready` too, aborting ends the exchange.
  signal.addEventListener('abort', () => feed.close(), { once: true })
  page.postMessage({ type: 'peer-request', file: fileRef(found), deps, from } satisfies Message, [channel.port2])
  let deadline = Date.now() + stallAfter(peerTimeout)
  for (;;) {
    const m = await nextFrom(reader, page, Math.max(0, deadline - Date.now()))
    if (!m || signal.aborted || !reader.open) break
    if (m.type === 'ready') return feed
    if (m.type !== 'progress') break
    if (feed.progressed(m.bytes)) deadline = Date.now() + stallAfter(peerTimeout)
  }
  feed.close()
  return undefined
}
