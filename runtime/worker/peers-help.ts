// Whether peers can help with a file now: the one decision between waiting for peers and asking the origin at once,
// kept apart from the worker's globals so it is unit-tested in Node. When it says no, the origin answers at once and
// at full speed, as it would without planktos.

/** What the worker knows, for one file's swarm, about its chances of getting bytes from peers. */
export interface PeerChances {
  /** Trackers the file's build announces to: none, and no peer can ever be found. */
  trackers: number
  /** False once this browser is known unable to run peers (its pages have no WebRTC). */
  browserRunsPeers: boolean
  /** An open page listening for requests has a connected peer in this swarm. */
  pageHasPeers: boolean
  /** An open page listening for requests may still find peers: its downloader has not run, has not joined the
   * swarm, or has not heard from a tracker that nobody else is there. */
  pageMayFindPeers: boolean
}

/** Whether asking peers for a file can pay off; false means: the origin, at once. */
export function peersCanHelp (c: PeerChances): boolean {
  if (c.trackers === 0 || !c.browserRunsPeers) return false
  return c.pageHasPeers || c.pageMayFindPeers
}

/**
 * A file below this size never starts a downloader by itself: the downloader and a shard's torrent and part cost the
 * origin about 80 KB the first time, more than peers could save on it. (A page's own first requests are answered by
 * the origin before the worker exists, so this is about a page's late requests: lazy images, fonts, a search index.)
 */
export const WAKE_FROM = 256 * 1024

/**
 * Whether a request for this file may start a downloader that has not run yet on the page asked: a navigation's
 * page (the visitor stays on the site, so a downloader will pay for itself on the pages to come) or a large file.
 */
export function worthStarting (file: { size: number, type: string }): boolean {
  return file.type.startsWith('text/html') || file.size >= WAKE_FROM
}

/** A page's ordinary subresources: never a page (which starts a downloader) nor media (which the worker streams). */
const SUBRESOURCES = ['script', 'style', 'font', 'image']

/**
 * Whether a request with this destination, for a file of this shard, is left to the origin when the worker does not
 * hold the shard's file list (its part) yet. No file of the shard could start a downloader (none reaches WAKE_FROM),
 * so the part (20 KB for the docs site's front page) would only let the worker fetch from the origin what the page
 * asked for and store it: a first page's late script, which a bouncing visitor would pay the part for. Left to the
 * origin, such a file is noted like the first page's own ones (seen.ts) and stored if the visitor stays. A shard
 * without `largest` (written before it existed) keeps the worker's answer.
 */
export function leftToOrigin (destination: string, shard: { largest?: number }): boolean {
  return SUBRESOURCES.includes(destination) && (shard.largest ?? WAKE_FROM) < WAKE_FROM
}
