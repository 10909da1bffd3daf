// The downloader calls a few internals of WebTorrent and bittorrent-protocol (runtime/page/webtorrent-internals.ts).
// They may change in any release: this test fails loudly when an upgrade changes one, naming it, so whoever
// upgrades reads that module before the browsers find out.
import { existsSync, readFileSync } from 'node:fs'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import Wire from 'bittorrent-protocol'
import { MAX_MESSAGE, MAX_REQUESTS, holdRequests, limitMessages, limitRequests, peersKnown, requestedBytes, unreserve } from '../runtime/page/webtorrent-internals.ts'

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { devDependencies: Record<string, string> }
// Read by path: these files are not in the packages' exports.
const source = (path: string): string => readFileSync(new URL(`../node_modules/${path}`, import.meta.url), 'utf8')
const installed = (name: string): string => (JSON.parse(source(`${name}/package.json`)) as { version: string }).version

const pinned = suite('WebTorrent is pinned')

pinned('package.json names one exact version of WebTorrent, and that version is installed', () => {
  const wanted = pkg.devDependencies.webtorrent
  assert.match(wanted ?? '', /^\d+\.\d+\.\d+$/, 'webtorrent must be pinned exactly: its internals are called')
  assert.is(installed('webtorrent'), wanted)
})

pinned.run()

const internals = suite('the internals the downloader calls')
const torrent = source('webtorrent/lib/torrent.js')
const webconn = source('webtorrent/lib/webconn.js')
// WebTorrent declares bittorrent-protocol itself: its own copy if it has one, else the hoisted one.
const nested = new URL('../node_modules/webtorrent/node_modules/bittorrent-protocol/index.js', import.meta.url)
const protocol = existsSync(nested) ? readFileSync(nested, 'utf8') : source('bittorrent-protocol/index.js')
// The downloader as built (WebTorrent from its sources, scripts/webtorrent-lite.ts): the names must survive it.
const bundle = readFileSync(new URL('../dist/runtime/downloader.js', import.meta.url), 'utf8')

// Each: the declaration the wrapper relies on, in the library's source, and the name in the bundle we ship.
const expected: Array<[what: string, text: string, declaration: string, name: string]> = [
  ['Torrent#_select (counted stream selections)', torrent, '_select (start = 0, end = this.pieces.length - 1, priority, notify, isStreamSelection = false) {', '_select('],
  ['Torrent#_deselect', torrent, '_deselect (from, to, isStreamSelection = false) {', '_deselect('],
  ['Torrent#_verifyPiecesUsingHash', torrent, '_verifyPiecesUsingHash (pieces, cb) {', '_verifyPiecesUsingHash('],
  ['Torrent#_markUnverified', torrent, '_markUnverified (index) {', '_markUnverified('],
  ['Torrent#_peers (a web seed by its URL)', torrent, 'this._peers = new Map()', '_peers.get('],
  ['Torrent#_reservations (per piece, the wires holding a block; _hotswap frees one the same way)', torrent, 'if (r[i] === minWire) r[i] = null', '_reservations['],
  ['Piece#cancel of a reserved block, as _hotswap does', torrent, 'this.pieces[index].cancel((req.offset / Piece.BLOCK_LENGTH) | 0)', '.cancel('],
  ['Torrent#_updateWire', torrent, '_updateWire (wire) {', '_updateWire('],
  ['Torrent#_updateWireWrapper calls this._updateWire for each wire (holdRequests replaces it on the torrent)', torrent, 'this._updateWire(wire)', '._updateWire('],
  ['Torrent#_update (asks every wire again once the store has room)', torrent, '_update () {', '._update()'],
  ["Peer#type, 'webSeed' for a web seed (peersKnown counts the others in Torrent#_peers)", source('webtorrent/lib/peer.js'), "const TYPE_WEBSEED = 'webSeed'", '"webSeed"'],
  ['Wire#requests (the block requests sent)', protocol, 'this.requests = [] // outgoing', '.requests'],
  ["Peer#wire (a web seed's torrent side, whose requests unreserve updates)", source('webtorrent/lib/peer.js'), 'const wire = this.wire = new Wire(this.type, this.secure)', '.wire'],
  ['Wire#peerPieces is a BitField (unreserve sets what a pending have will say)', protocol, 'this.peerPieces = new BitField(0, { grow: BITFIELD_GROW })', 'peerPieces.set('],
  ['WebConn#httpRequest (replaced by the origin seed)', webconn, 'async httpRequest (pieceIndex, offset, length, cb) {', 'httpRequest('],
  ['Wire#_parse (message length limit)', protocol, '_parse (size, parser) {', '_parse('],
  ['Wire#_onMessageLength calls this._parse', protocol, 'this._parse(length, this._onMessage)', '_parse(4,this._onMessageLength)'],
  ['Wire#_sendExtendedHandshake (sent again with a claim heard, claims.ts)', protocol, '_sendExtendedHandshake () {', '_sendExtendedHandshake('],
  ['Wire#_extendedHandshakeSent', protocol, 'this._extendedHandshakeSent = true', '_extendedHandshakeSent'],
  ["Wire#peerExtendedHandshake is assigned the peer's handshake whole (limitRequests lowers its reqq)", protocol, 'this.peerExtendedHandshake = info', 'peerExtendedHandshake'],
  ["Torrent's request pipeline honours the peer's reqq (limitRequests)", torrent, 'const reqq = wire.peerExtendedHandshake.reqq', '.reqq'],
  // trackerSockets: whether a tracker's WebSocket is open, which WebTorrent never says.
  ["Discovery's tracker client lists its trackers in _trackers", source('bittorrent-tracker/client.js'), 'this._trackers = announce', '._trackers'],
  ['WebSocketTracker#socket (shared per announceUrl)', source('bittorrent-tracker/lib/client/websocket-tracker.js'), 'this.socket = socketPool[this.announceUrl]', '.announceUrl'],
  ["WebSocketTracker#destroy drops its socket (a failed tracker's is null until it reconnects)", source('bittorrent-tracker/lib/client/websocket-tracker.js'), 'this.socket = null', '.socket'],
  ['simple-websocket#connected (true once open)', source('@thaunknown/simple-websocket/index.js'), 'this.connected = true', '.connected']
]

for (const [what, text, declaration, name] of expected) {
  internals(`${what} is as runtime/page/webtorrent-internals.ts expects`, () => {
    assert.ok(text.includes(declaration), `${what} changed: "${declaration}" is gone; update runtime/page/webtorrent-internals.ts`)
    assert.ok(bundle.includes(name), `${what}: "${name}" is not in dist/runtime/downloader.js any more`)
  })
}

internals('a wire whose peer declares a 2 GiB message is closed at once, before buffering it', async () => {
  const wire = new Wire()
  limitMessages(wire as never, MAX_MESSAGE)
  wire.on('error', () => {})
  const closed = new Promise<void>(resolve => wire.once('close', () => resolve()))
  const handshake = new Uint8Array(68)
  handshake[0] = 19
  handshake.set(new TextEncoder().encode('BitTorrent protocol'), 1)
  wire.write(handshake)
  // A message at the limit is fine: an interested message framed normally still arrives after it.
  wire.write(new Uint8Array([0, 0, 0, 1, 2]))
  wire.write(new Uint8Array([0x80, 0, 0, 0, 7, 1, 2, 3]))
  await closed
  assert.ok(wire.destroyed)
})

internals('a wire with ordinary messages stays open', async () => {
  const wire = new Wire()
  limitMessages(wire as never, MAX_MESSAGE)
  wire.on('error', () => {})
  const handshake = new Uint8Array(68)
  handshake[0] = 19
  handshake.set(new TextEncoder().encode('BitTorrent protocol'), 1)
  wire.write(handshake)
  const interested = new Promise<void>(resolve => wire.once('interested', () => resolve()))
  // A keep-alive, then "interested".
  wire.write(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1, 2]))
  await interested
  assert.not.ok(wire.destroyed)
  wire.destroy()
})

/**
 * The reqq one wire reads from its peer's extended handshake, the peer sending `raw` (bencoded) as its handshake, or
 * none before the check.
 */
async function reqqSeen (raw?: string): Promise<unknown> {
  const ours = new Wire()
  const theirs = new Wire() as Wire & { _extendedHandshakeSent: boolean }
  ours.pipe(theirs).pipe(ours)
  limitRequests(ours as never, MAX_REQUESTS)
  const heard = new Promise<void>(resolve => ours.once('extended', () => resolve()))
  // Not the handshake bittorrent-protocol would send: the raw bytes below instead.
  theirs._extendedHandshakeSent = true
  const hash = 'a'.repeat(40)
  ours.handshake(hash, 'b'.repeat(40))
  theirs.handshake(hash, 'c'.repeat(40))
  if (raw !== undefined) {
    theirs.extended(0, new TextEncoder().encode(raw))
    await heard
  }
  const reqq = (ours.peerExtendedHandshake as { reqq?: unknown }).reqq
  ours.destroy()
  theirs.destroy()
  return reqq
}

internals('requests in flight to a peer stay at MAX_REQUESTS, whatever reqq the peer declares, or before it declares one', async () => {
  assert.is(await reqqSeen(), MAX_REQUESTS)
  assert.is(await reqqSeen('de'), MAX_REQUESTS)
  assert.is(await reqqSeen('d4:reqqi5000ee'), MAX_REQUESTS)
  assert.is(await reqqSeen('d4:reqqi28ee'), 28, 'a peer that takes fewer is asked for fewer')
  // Hostile handshakes: not a dictionary (bittorrent-protocol keeps it as it is), or reqq not a positive number.
  for (const raw of ['i5e', 'li1ei2ee', '4:spam', 'd4:reqqi-1ee', 'd4:reqq3:abce']) {
    assert.is(await reqqSeen(raw), MAX_REQUESTS, raw)
  }
})

internals("while requests are held, none goes out, except the web seed's for pieces a response waits on (unreserve)", () => {
  // The few members of a Torrent these two functions touch, recording which wires WebTorrent's _updateWire is given.
  const given: unknown[] = []
  const seed = { peerPieces: { set () {} } }
  const torrent = {
    _peers: new Map([['origin', { wire: seed }]]),
    pieces: [],
    _reservations: [],
    _updateWire (wire: unknown) { given.push(wire) },
    _update () {}
  }
  holdRequests(torrent as never, () => true)
  torrent._updateWire('a peer')
  unreserve(torrent as never, 0, 3, 'origin')
  assert.equal(given, [seed])
})

internals("the bytes requested of peers count every torrent's peer wires, not the web seed's piece requests", () => {
  const wire = (type: string, n: number): unknown => ({ type, requests: Array.from({ length: n }, () => ({})) })
  const torrents = [{ wires: [wire('webrtc', 3), wire('webSeed', 2)] }, { wires: [wire('webrtc', 5)] }]
  assert.is(requestedBytes(torrents as never), 8 * 16 * 1024)
})

internals('the peers known count those still connecting, not the web seed', () => {
  const torrent = { _peers: new Map([['a', { type: 'webrtc' }], ['b', { type: 'webrtc', wire: {} }], ['https://example.org/', { type: 'webSeed' }]]) }
  assert.is(peersKnown(torrent as never), 2)
})

internals.run()
