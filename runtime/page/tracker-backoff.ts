// Trackers that failed lately are left alone for a while (runs in the page). The browser itself prints
// "WebSocket connection to … failed" for every socket that cannot connect, and a page cannot silence it; with no
// tracker reachable, every page of the site would print it again. So a failure is remembered for this origin
// (localStorage: read synchronously before the swarm starts), and pages skip that tracker until its back-off ends:
// one minute, doubling with each failure in a row up to an hour. An answer from the tracker forgets its failures.
// A tracker whose socket stayed silent (never opened: a hung server, a firewall dropping the connection) is noted
// the same way, but still contacted: a slow network or a loaded machine looks the same for a while, and skipping a
// working tracker would cost the visitor its peers. A noted tracker only stops pages waiting for it (trackerSilence).

const KEY = 'planktos-tracker-failures'
const FIRST = 60_000
const LONGEST = 60 * 60_000
/** WebTorrent's warning for a tracker socket that could not connect (alone, or after "Connection error: "). */
const FAILED = /Error connecting to (\S+)$/

interface Failure { fails: number, until: number, silent?: true }

/** WebTorrent's tracker client drops a trailing slash from announce URLs, and names them so in its warnings. */
const key = (url: string): string => url.endsWith('/') ? url.slice(0, -1) : url

function read (): Record<string, Failure> {
  try {
    const all: unknown = JSON.parse(localStorage.getItem(KEY) ?? '{}')
    return all && typeof all === 'object' ? all as Record<string, Failure> : {}
  } catch {
    // Storage disabled or a broken value: no back-off, as before.
    return {}
  }
}

function write (all: Record<string, Failure>): void {
  try {
    if (Object.keys(all).length) localStorage.setItem(KEY, JSON.stringify(all))
    else localStorage.removeItem(KEY)
  } catch {}
}

/** The trackers of `announce` not in back-off now (silent ones are still contacted). */
export function reachable (announce: readonly string[], now = Date.now()): string[] {
  const all = read()
  return announce.filter(url => { const f = all[key(url)]; return !(f && !f.silent && f.until > now) })
}

/** Whether every tracker of `announce` (one at least) failed or stayed silent lately. */
export function noted (announce: readonly string[], now = Date.now()): boolean {
  const all = read()
  return announce.length > 0 && announce.every(url => (all[key(url)]?.until ?? 0) > now)
}

/** Starts or lengthens a tracker's note: a minute, doubling with each failure or silence in a row, up to an hour. */
function note (all: Record<string, Failure>, url: string, now: number, silent?: true): void {
  const fails = (all[url]?.fails ?? 0) + 1
  all[url] = { fails, until: now + Math.min(LONGEST, FIRST * 2 ** (fails - 1)), silent }
  write(all)
}

/** A tracker's socket did not open within SOCKET_OPEN (or peerTimeout): pages stop waiting for it while it is noted. */
export function noteSilent (url: string, now = Date.now()): void {
  const all = read()
  const k = key(url)
  if ((all[k]?.until ?? 0) <= now) note(all, k, now, true)
}

/** Notes a WebTorrent warning: a tracker that could not be reached starts (or lengthens) its back-off. */
export function noteWarning (message: string, now = Date.now()): void {
  const failed = FAILED.exec(message)?.[1]
  if (!failed) return
  const url = key(failed)
  const all = read()
  // Several torrents share one socket per tracker and all warn about it: one failure, counted once.
  if (!all[url]?.silent && (all[url]?.until ?? 0) > now) return
  note(all, url, now)
}

/** A tracker answered: it starts afresh. */
export function noteAnswer (announced: string | undefined): void {
  const all = read()
  const url = announced && key(announced)
  if (!url || !all[url]) return
  delete all[url]
  write(all)
}

/** A tracker's announce URL and whether its WebSocket is open now (webtorrent-internals.ts, trackerSockets). */
export type TrackerSocket = readonly [url: string, open: boolean]

/**
 * How long (ms) a tracker's WebSocket may take to open, from the torrent being ready, before its page stops waiting for
 * peers through it: TCP, TLS and the upgrade are three round trips (four with TLS 1.2), under 250 ms each on all but
 * the slowest mobile and satellite links. Until the socket opens no peer can reach the page, and once it opens a peer
 * still needs the announce, the offer, the answer and a WebRTC connection, several round trips more: a page's small
 * file waits on longer than the origin takes to send it (a silent tracker cost a visit's first navigation the rest of
 * peerTimeout, ~1.4 s, in `npm run bench unreachable`). Shorter would note working trackers behind slow links as
 * silent: the page then takes from the origin what its early requests ask (a large file whole) until the socket opens,
 * and the visitor's next pages count as alone until their own sockets open.
 */
export const SOCKET_OPEN = 750

/**
 * Whether a joined torrent's page waits for peers in vain. Peers reach a page only through a tracker, and no error ever
 * comes from one that accepts the connection and never answers (a hung server, a firewall dropping the upgrade). A
 * tracker whose WebSocket has not opened within SOCKET_OPEN (or peerTimeout, if shorter) of `start()` (the torrent
 * being ready) is noted as silent, and this page and the visitor's next ones stop waiting for peers until a socket
 * opens: the worker gets `miss` at once instead of after peerTimeout per request. Only the socket counts, not an
 * answer: a first announce waits for its WebRTC offers' ICE gathering (a STUN round trip, seconds where UDP is
 * blocked), and an answer late on a loaded machine must not cost the visitor its peers. A socket that opened and
 * closed again (the tracker restarted) is not silence: WebTorrent reconnects by itself.
 */
export function trackerSilence (peerTimeout: number): { start (now?: number): void, unreached (sockets: readonly TrackerSocket[], now?: number): boolean } {
  const wait = Math.min(peerTimeout, SOCKET_OPEN)
  let since = Infinity
  let opened = false
  return {
    start (now = Date.now()) { since = now },
    unreached (sockets, now = Date.now()) {
      if (sockets.some(s => s[1])) return !(opened = true)
      const urls = sockets.map(s => s[0])
      if (now - since < wait) return noted(urls, now)
      if (!opened) for (const url of urls) noteSilent(url, now)
      return true
    }
  }
}
