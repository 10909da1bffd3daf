// Trackers that failed lately are left alone for a while, so a site whose trackers are all down does not make every
// page open a socket the browser reports as failed in the console.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { SOCKET_OPEN, noteAnswer, noteSilent, noteWarning, noted, reachable, trackerSilence } from '../runtime/page/tracker-backoff.ts'

const T1 = 'ws://127.0.0.1:9/'
const T2 = 'ws://127.0.0.1:10/'
const MINUTE = 60_000

const backoff = suite('tracker back-off')

backoff.before.each(() => {
  const items = new Map<string, string>()
  ;(globalThis as { localStorage?: unknown }).localStorage = {
    getItem: (k: string) => items.get(k) ?? null,
    setItem: (k: string, v: string) => { items.set(k, v) },
    removeItem: (k: string) => { items.delete(k) }
  }
})
backoff.after(() => { delete (globalThis as { localStorage?: unknown }).localStorage })

backoff('a tracker that could not be reached is skipped for a minute, the others are not', () => {
  // Named without its trailing slash, as WebTorrent's tracker client names it.
  noteWarning(`Error connecting to ${T1.slice(0, -1)}`, 0)
  assert.equal(reachable([T1, T2], 1), [T2])
  assert.equal(reachable([T1, T2], MINUTE - 1), [T2])
  assert.equal(reachable([T1, T2], MINUTE), [T1, T2])
})

backoff('each failure in a row doubles the back-off, up to an hour', () => {
  let now = 0
  const waits: number[] = []
  for (let i = 0; i < 9; i++) {
    noteWarning(`Error connecting to ${T1}`, now)
    let until = now
    while (!reachable([T1], until).length) until += 1000
    waits.push((until - now) / MINUTE)
    now = until
  }
  assert.equal(waits, [1, 2, 4, 8, 16, 32, 60, 60, 60])
})

backoff('the warnings of every torrent sharing the failed socket count as one failure', () => {
  for (let i = 0; i < 5; i++) noteWarning(`${i % 2 ? 'Connection error: ' : ''}Error connecting to ${T1}`, i)
  assert.equal(reachable([T1], MINUTE), [T1])
})

backoff('an answer from the tracker forgets its failures; other warnings are not failures', () => {
  noteWarning(`Error connecting to ${T1}`, 0)
  noteAnswer(T1)
  assert.equal(reachable([T1], 1), [T1])
  noteWarning('Piece 3 failed verification', 0)
  noteWarning(`Unsupported tracker protocol: ${T2}`, 0)
  assert.equal(reachable([T1, T2], 1), [T1, T2])
})

backoff('a silent tracker is noted for a minute but still contacted; pages stop waiting only when all of theirs are noted', () => {
  noteSilent(T1.slice(0, -1), 0)
  assert.equal(reachable([T1, T2], 1), [T1, T2], 'still contacted: it may only be slow')
  assert.ok(noted([T1], 1))
  assert.ok(!noted([T1, T2], 1), 'another tracker may still introduce peers')
  assert.ok(!noted([], 1), 'no tracker: nothing is noted')
  assert.ok(!noted([T1], MINUTE))
  noteSilent(T2, 0)
  noteAnswer(T2.slice(0, -1))
  assert.ok(!noted([T2], 1), 'an answer forgets the silence')
})

backoff('a tracker silent each time its note ends is noted for twice as long, up to an hour', () => {
  let now = 0
  const notes: number[] = []
  for (let i = 0; i < 8; i++) {
    noteSilent(T1, now)
    let until = now
    while (noted([T1], until)) until += 1000
    notes.push((until - now) / MINUTE)
    now = until
  }
  assert.equal(notes, [1, 2, 4, 8, 16, 32, 60, 60])
  assert.equal(reachable([T1], now - 1), [T1], 'and it was contacted all along')
})

backoff('a tracker noted as silent that then refuses the connection goes into back-off', () => {
  noteSilent(T1, 0)
  noteWarning(`Error connecting to ${T1}`, 10)
  assert.equal(reachable([T1], 11), [])
  assert.ok(noted([T1], 11))
  // And silence noted later does not shorten or undo the back-off.
  noteSilent(T1, 20)
  assert.equal(reachable([T1], MINUTE), [])
})

backoff('without usable storage every tracker is tried, as before', () => {
  ;(globalThis as { localStorage?: unknown }).localStorage = { getItem: () => { throw new Error('denied') }, setItem: () => { throw new Error('denied') }, removeItem: () => {} }
  noteWarning(`Error connecting to ${T1}`, 0)
  assert.equal(reachable([T1], 1), [T1])
})

const PEER_TIMEOUT = 1500
/** How long a socket may take to open, with PEER_TIMEOUT longer than SOCKET_OPEN. */
const WAIT = SOCKET_OPEN
const closed = (...urls: string[]): Array<[string, boolean]> => urls.map(u => [u, false])

backoff('a page waits for peers while its trackers\' sockets may still open, then notes them silent and stops waiting', () => {
  assert.ok(WAIT < PEER_TIMEOUT, 'these cases need a peerTimeout longer than a socket\'s wait')
  const silence = trackerSilence(PEER_TIMEOUT)
  assert.not.ok(silence.unreached(closed(T1, T2), 0), 'before the torrent is ready: its sockets are not made yet')
  silence.start(100)
  assert.not.ok(silence.unreached(closed(T1, T2), 100 + WAIT - 1))
  assert.not.ok(noted([T1], 100 + WAIT - 1))
  // Not the rest of peerTimeout: a socket this late means no peer can beat the origin to a request now.
  assert.ok(silence.unreached(closed(T1, T2), 100 + WAIT))
  assert.ok(noted([T1, T2], 100 + WAIT), 'both noted silent')
  assert.equal(reachable([T1, T2], 100 + WAIT), [T1, T2], 'and still contacted')
})

backoff('a peerTimeout shorter than a socket\'s wait ends the wait', () => {
  const silence = trackerSilence(WAIT / 2)
  silence.start(0)
  assert.not.ok(silence.unreached(closed(T1), WAIT / 2 - 1))
  assert.ok(silence.unreached(closed(T1), WAIT / 2))
})

backoff('the visitor\'s next page does not wait for trackers noted silent, until a socket opens', () => {
  const first = trackerSilence(PEER_TIMEOUT)
  first.start(0)
  assert.ok(first.unreached(closed(T1), WAIT))
  const next = trackerSilence(PEER_TIMEOUT)
  const t = WAIT + 10
  assert.ok(next.unreached(closed(T1), t), 'before its torrent is ready')
  next.start(t)
  assert.ok(next.unreached(closed(T1), t + 1))
  assert.not.ok(next.unreached([[T1, true]], t + 2), 'the socket opened: peers may come')
  assert.not.ok(trackerSilence(PEER_TIMEOUT).unreached(closed(T1), WAIT + MINUTE), 'the note has ended: a page waits again')
})

backoff('a socket that opened and closed again (the tracker restarted) is not noted silent', () => {
  const silence = trackerSilence(PEER_TIMEOUT)
  silence.start(0)
  assert.not.ok(silence.unreached([[T1, true]], 10))
  assert.ok(silence.unreached(closed(T1), 10 + WAIT), 'no peer can come while it is closed')
  assert.not.ok(noted([T1], 10 + WAIT), 'but WebTorrent reconnects: the next page waits again')
})

backoff('one open socket of two is enough; before WebTorrent has made the sockets, a page waits only a socket\'s wait', () => {
  const silence = trackerSilence(PEER_TIMEOUT)
  silence.start(0)
  assert.not.ok(silence.unreached([[T1, false], [T2, true]], PEER_TIMEOUT * 2))
  assert.not.ok(noted([T1], PEER_TIMEOUT * 2))
  const none = trackerSilence(PEER_TIMEOUT)
  none.start(0)
  assert.not.ok(none.unreached([], 1))
  assert.ok(none.unreached([], WAIT))
})

backoff.run()
