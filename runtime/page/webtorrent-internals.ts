// The one module that reaches into WebTorrent's and bittorrent-protocol's internals (runs in the page). They have
// no public equivalent for what the downloader needs: counted selections, re-checking pieces the worker stored,
// forgetting evicted pieces, bounding the requests in flight, replacing the web seed's HTTP step and refusing
// oversized messages. WebTorrent is pinned to an exact version in package.json, and test/webtorrent-internals.test.ts
// fails when an upgrade changes any of these (names, parameters, or the code around them that this module relies on).
import type { Torrent, WebSeedConn, Wire } from 'webtorrent/dist/webtorrent.min.js'

/**
 * Selects pieces [first, last] as a "stream" selection. Unlike `select`, these are counted: `deselect` removes
 * one matching selection and leaves pieces that another one still wants selected.
 */
export function selectPieces (torrent: Torrent, first: number, last: number, priority: number): void {
  torrent._select(first, last, priority, undefined, true)
}

/** Drops one selection made by `selectPieces`. */
export function deselectPieces (torrent: Torrent, first: number, last: number): void {
  torrent._deselect(first, last, true)
}

/** Re-hashes `pieces` from the store (SHA-1) and marks the good ones verified; `done` runs after. */
export function verifyPieces (torrent: Torrent, pieces: number[], done: () => void): void {
  torrent._verifyPiecesUsingHash(pieces, () => done())
}

/** Forgets that piece `index` is held (its bytes left the store). */
export function forgetPiece (torrent: Torrent, index: number): void {
  torrent._markUnverified(index)
}

/** A block: what one request asks a peer for (WebTorrent's Piece.BLOCK_LENGTH). */
const BLOCK = 16 * 1024

/** WebTorrent's own `_updateWire` of each torrent held by holdRequests. */
const unheld = new WeakMap<Torrent, (wire: unknown) => void>()

/**
 * Has `torrent` send no wire (peer or web seed) new requests while `full()`: WebTorrent asks for blocks whatever its
 * store's backlog. Returns what asks again (WebTorrent's own step after each piece), for when there is room.
 */
export function holdRequests (torrent: Torrent, full: () => boolean): () => void {
  const update = torrent._updateWire.bind(torrent)
  unheld.set(torrent, update)
  torrent._updateWire = wire => { if (!full()) update(wire) }
  return () => torrent._update()
}

/** Bytes of the block requests this page has in flight to the peers of `torrents` (16 KiB each). */
export function requestedBytes (torrents: readonly Torrent[]): number {
  let blocks = 0
  for (const t of torrents) for (const w of t.wires) if (w.type !== 'webSeed') blocks += w.requests.length
  return blocks * BLOCK
}

/**
 * Cancels the peers' reservations of the missing pieces [first, last] (as WebTorrent's `_hotswap` does for one slow
 * peer), and has the web seed added with `addWebSeed(id)` ask for them first: it is told it has them (what its
 * pending `have` will say) and its requests are updated before any peer's. A cancelled block a peer sends after
 * all is still used if nobody filled it first. An idle web seed asks for one piece at a time, and a peer may take
 * the other freed blocks back before it asks again: the response then waits for that peer until its next pull is
 * late and frees them again (docs/engine.md).
 */
export function unreserve (torrent: Torrent, first: number, last: number, id: string): void {
  const seed = torrent._peers.get(id)?.wire
  // Without a web seed to take them, freeing the peers' blocks would only make them ask again.
  if (!seed) return
  for (let i = first; i <= last; i++) {
    const piece = torrent.pieces[i]
    if (!piece) continue
    seed.peerPieces.set(i, true)
    const slots = torrent._reservations[i] ?? []
    // Each peer's slots first, then each of its requests for the piece cancelled once.
    const peers = new Set<Wire>()
    slots.forEach((w, n) => {
      if (!w || w === seed) return
      peers.add(w as Wire)
      slots[n] = null
    })
    for (const wire of peers) for (const r of wire.requests) if (r.piece === i) piece.cancel(r.offset / BLOCK)
  }
  // Past holdRequests: a response waits on these pieces, and the web seed's runs are bounded on their own.
  ;(unheld.get(torrent) ?? torrent._updateWire.bind(torrent))(seed)
}

/**
 * Peers `torrent` is connected or connecting to (an offer it answered whose link is not up yet counts), web seeds
 * aside.
 */
export function peersKnown (torrent: Torrent): number {
  let n = 0
  for (const peer of torrent._peers.values()) if (peer.type !== 'webSeed') n++
  return n
}

/** The connection of the web seed added with `addWebSeed(id)`, whose `httpRequest` may be replaced. */
export function webSeedConn (torrent: Torrent, id: string): WebSeedConn | undefined {
  return torrent._peers.get(id)?.conn
}

/**
 * The announce URLs of the torrent's WebSocket trackers, each with whether its socket is open now. Sockets are
 * shared per URL by all torrents of the page. WebTorrent says nothing of a socket that never opens.
 */
export function trackerSockets (torrent: Torrent): Array<[url: string, open: boolean]> {
  return (torrent.discovery?.tracker?._trackers ?? []).map(t => [t.announceUrl, !!t.socket?.connected])
}

/**
 * Longest message a peer may declare: a 16 KiB block, a planktos_file chunk or a bitfield are far below it.
 * bittorrent-protocol would buffer up to any declared length (4 GiB) before looking at the message.
 */
export const MAX_MESSAGE = 1024 * 1024

interface ParsingWire {
  _parse (size: number, parser: (buffer: Uint8Array) => void): void
}

/**
 * Closes `wire` (through `cut`, default: destroy it) as soon as the peer declares a message longer than `max`
 * bytes: bittorrent-protocol would otherwise buffer up to the declared length (4 GiB) before looking at it.
 */
export function limitMessages (wire: Wire, max: number, cut: () => void = () => wire.destroy()): void {
  const w = wire as unknown as ParsingWire
  const parse = w._parse
  w._parse = function (size, parser) {
    if (size > max) {
      cut()
      // Nothing more from this peer is worth buffering: wait for nothing and drop what arrives.
      return parse.call(this, Infinity, () => {})
    }
    return parse.call(this, size, parser)
  }
}

/**
 * Block requests in flight to one peer: 2 MiB. All of it may arrive while the page is busy and wait in memory; it
 * still allows about 40 MB/s from a peer 50 ms away (less when the page is too busy to ask again at once).
 */
export const MAX_REQUESTS = 128

/**
 * Keeps this page's outstanding block requests to `wire`'s peer at `max` at most. WebTorrent asks a peer for a
 * second's worth of blocks at its current speed (thousands from a fast one), capped only by the `reqq` the peer's
 * extended handshake declares; so `reqq` is lowered to `max` here, whatever the peer declared, or declares later.
 */
export function limitRequests (wire: Wire, max: number): void {
  const w = wire as unknown as { peerExtendedHandshake: unknown }
  let said = w.peerExtendedHandshake
  const limit = (info: unknown): void => {
    // bittorrent-protocol keeps any value the peer's handshake decodes to; WebTorrent reads reqq only from an object.
    said = info && typeof info === 'object' ? info : { reqq: max }
    const reqq = (said as { reqq?: unknown }).reqq
    ;(said as { reqq: number }).reqq = typeof reqq === 'number' && reqq > 0 ? Math.min(reqq, max) : max
  }
  limit(said)
  Object.defineProperty(w, 'peerExtendedHandshake', {
    configurable: true, enumerable: true, get: () => said, set: limit
  })
}

interface HandshakingWire {
  _extendedHandshakeSent: boolean
  _sendExtendedHandshake (): void
}

/**
 * Sends `wire`'s extended handshake (BEP 10) again, with what `extendedHandshake` holds now; BEP 10 lets a peer
 * update it so. One not sent yet goes out as it is when it goes.
 */
export function resendHandshake (wire: Wire): void {
  const w = wire as unknown as HandshakingWire
  if (w._extendedHandshakeSent && !wire.destroyed) w._sendExtendedHandshake()
}
