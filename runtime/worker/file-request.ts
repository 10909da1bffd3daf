// One request for a site file, as the engine (sources.ts, stream.ts) answers it. The fetch handler makes it from its
// event, so nothing below the routing needs the FetchEvent, and the engine runs in Node tests on a plain object.
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

export const fileRequest = (found: Found, event: FetchEvent): FileRequest =>
  ({ found, request: event.request, requester: event.clientId, waitUntil: work => event.waitUntil(work) })
