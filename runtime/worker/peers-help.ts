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
