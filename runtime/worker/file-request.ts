// One request for a site file, as the engine (sources.ts, stream.ts) answers it. The fetch handler makes it from its
// event, so nothing below the routing needs the FetchEvent, and the engine runs in Node tests on a plain object.
import { delay } from './delay.ts'
import type { FetchEvent } from './scope.ts'
import type { Found } from './site.ts'

export interface FileRequest {
  /** The file, its shard, and the build it was found in: that build's settings apply, not the newest deploy's. */
  readonly found: Found
  /**
   * The request as the page made it: its URL and Range header, what the network answers when no source can, and its
   * signal, aborted once the page gives the request up.
   */
  readonly request: Request
  /** The page that asked ('' for none): its downloader is asked for peers first. */
  readonly requester: string
  /** Keeps the worker running for work that outlives the response (storing a file, the rest of a download). */
  waitUntil (work: Promise<unknown>): void
}

/**
 * How long a request's event keeps the worker for such work. Chromium errors a fetch event's response once the event
 * was kept 5 minutes (its own request timeout), even while the response streams on: a large file that takes longer
 * than that to download failed at 5 minutes where the site without planktos delivers it (a throwaway probe,
 * 2026-12-06, Chromium 156: a stream of 370 s ended in a network error at 309 s with the download's `waitUntil`, and
 * ran to its end without it). A response that streams keeps the worker running by itself (Firefox: with the pages'
 * keep-alive answers, stream.ts), so the download goes on after this.
 */
export const EVENT_MAX = 240_000

export const fileRequest = (found: Found, event: FetchEvent): FileRequest =>
  ({ found, request: event.request, requester: event.clientId, waitUntil: work => event.waitUntil(Promise.race([work, delay(EVENT_MAX)])) })
