// A member's claim passed on one hop (runtime/page/claims.ts), over real bittorrent-protocol wires piped together:
// a page that hears the claim from the member making it tells its other peers, those that connected before included,
// and a page that never reached the member then waits for that peer instead of fetching its share from the origin.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import Wire from 'bittorrent-protocol'
import { FETCHES, HEARD, passClaims, type ClaimWire, type Claims } from '../runtime/page/claims.ts'
import { GROUP, OriginShare, ownerOf } from '../runtime/page/share.ts'
import { resendHandshake } from '../runtime/page/webtorrent-internals.ts'

const INFO_HASH = '01'.repeat(20)
const id = (n: number): string => n.toString(16).padStart(40, '0')

/** One end of the connections: a page's id, its wires, and what it does with a new wire (nothing: a scripted peer). */
interface Side { id: string, wires: Wire[], add?: (w: ClaimWire) => void }

/** A connection between two pages: each end's wire, both handshakes and extended handshakes exchanged. */
async function connect (a: Side, b: Side, before?: (ab: Wire, ba: Wire) => void): Promise<[Wire, Wire]> {
  const ab = new Wire()
  const ba = new Wire()
  ab.pipe(ba).pipe(ab)
  before?.(ab, ba)
  const told = (w: Wire): Promise<void> => new Promise(resolve => w.once('extended', () => resolve()))
  const heard = Promise.all([told(ab), told(ba)])
  // As WebTorrent does: the wire is announced (and the page adds its keys) before the extended handshake goes out.
  for (const [w, side] of [[ab, a], [ba, b]] as const) {
    w.once('handshake', () => {
      side.wires.push(w)
      side.add?.(w as unknown as ClaimWire)
    })
  }
  ab.handshake(INFO_HASH, b.id)
  ba.handshake(INFO_HASH, a.id)
  await heard
  return [ab, ba]
}

/** A page whose claims go through passClaims, with `own` its own claim. */
function page (n: number, own?: [number, number]): Side & { claims: Claims } {
  const wires: Wire[] = []
  const claims = passClaims(() => wires as unknown as ClaimWire[], () => own, w => resendHandshake(w as never))
  return { id: id(n), add: claims.add, wires, claims }
}

/** What a page that never claims nor hears a claim first-hand reads from a wire's peer. */
const claimOf = (wire: Wire): unknown => page(0).claims.claimOf(wire as unknown as ClaimWire)

/**
 * Resolves once `wire`'s peer has sent an extended handshake saying something under `key`, or with undefined if it
 * has not within 5 s (piped wires answer in a few ms: a test fails rather than hangs).
 */
const says = (wire: Wire, key: string): Promise<unknown> => new Promise(resolve => {
  setTimeout(resolve, 5000, undefined).unref()
  const check = (): void => {
    const said = (wire as unknown as ClaimWire).peerExtendedHandshake?.[key]
    if (said !== undefined) resolve(said)
    else wire.once('extended', check)
  }
  check()
})

const pass = suite('claims.ts: a claim passed on')

pass('a page that hears a claim first-hand tells the peers it had before, and those that come later', async () => {
  const member = page(1, [0, 127])
  const relay = page(2)
  const before = page(3)
  const after = page(4)
  const [, fromRelay] = await connect(relay, before)
  assert.is(claimOf(fromRelay), undefined, 'nothing heard yet')
  await connect(member, relay)
  assert.equal(await says(fromRelay, HEARD), [0, 127], 'a peer connected before hears it in a handshake sent again')
  const [, late] = await connect(relay, after)
  assert.equal(claimOf(late), [0, 127], 'a later peer hears it in its first handshake')
  // The member itself is not told its own claim back.
  const toMember = member.wires[0] as unknown as ClaimWire
  assert.is(toMember.peerExtendedHandshake?.[HEARD], undefined)
})

pass('a claim heard second-hand is not passed on: it travels one hop', async () => {
  const member = page(1, [0, 127])
  const relay = page(2)
  const second = page(3)
  const third = page(4)
  await connect(member, relay)
  const [, inSecond] = await connect(relay, second)
  assert.equal(claimOf(inSecond), [0, 127])
  const [, inThird] = await connect(second, third)
  assert.is(claimOf(inThird), undefined)
})

pass('a page that claims pieces itself says so as its own claim', async () => {
  const member = page(1, [5, 9])
  const other = page(2)
  const [, inOther] = await connect(member, other)
  assert.equal((inOther as unknown as ClaimWire).peerExtendedHandshake?.[FETCHES], [5, 9])
  assert.is((inOther as unknown as ClaimWire).peerExtendedHandshake?.[HEARD], undefined)
})

pass('a claim that is not two piece numbers is not passed on', async () => {
  for (const claim of ['all', [0], ['0', '9'], { 0: 0, 1: 9 }]) {
    const liar = { id: id(1), wires: [] as Wire[] }
    const relay = page(2)
    const later = page(3)
    await connect(liar, relay, (w) => { (w as unknown as ClaimWire).extendedHandshake[FETCHES] = claim })
    const [, inLater] = await connect(relay, later)
    assert.is(claimOf(inLater), undefined, JSON.stringify(claim))
  }
})

pass('a page that never reached the member waits for the peer that heard it instead of taking its share', async () => {
  const member = page(1, [0, 1_000_000])
  const relay = page(2)
  const cutOff = page(3)
  const [, inCutOff] = await connect(relay, cutOff)
  const view = (fetches: unknown) => ({
    self: cutOff.id,
    pieceLength: 16 * 1024,
    members: () => [{ id: relay.id, has: () => false, lastHave: 0, fetches }],
    lastReceived: -Infinity
  })
  // A piece of a group the cut-off page owns in the split between the two.
  const group = Array.from({ length: 100 }, (_, g) => g).find(g => ownerOf(g, [cutOff.id, relay.id]) === cutOff.id)!
  const index = group * GROUP / (16 * 1024)
  assert.is(new OriginShare(view(claimOf(inCutOff)), 2000).decide(index, 0, false), 'take', 'before: its share, from the origin')
  await connect(member, relay)
  assert.ok(await says(inCutOff, HEARD), 'the relay passed the claim on')
  assert.is(new OriginShare(view(claimOf(inCutOff)), 2000).decide(index, 0, false), 'wait', 'after: waits for the relay')
})

pass('pages that heard the claimant themselves do not wait for each other once it is silent: each takes its share', async () => {
  const member = page(1, [0, 1_000_000])
  const relays = [page(2), page(3)]
  for (const relay of relays) await connect(member, relay)
  const [toSecond] = await connect(relays[0]!, relays[1]!)
  assert.equal(await says(toSecond, HEARD), [0, 1_000_000], 'the second relay passed the claim on')
  const [first, second] = relays as [ReturnType<typeof page>, ReturnType<typeof page>]
  const toMember = first.wires.find(w => w !== toSecond)!
  // The claimant went silent long ago (its worker stopped); the second relay announced a piece just now.
  const share = new OriginShare({
    self: first.id,
    pieceLength: 16 * 1024,
    members: () => [
      { id: member.id, has: () => false, lastHave: -Infinity, fetches: first.claims.claimOf(toMember as unknown as ClaimWire) },
      { id: second.id, has: () => false, lastHave: 4000, fetches: first.claims.claimOf(toSecond as unknown as ClaimWire) }
    ],
    lastReceived: -Infinity
  }, 2000)
  assert.equal(first.claims.claimOf(toMember as unknown as ClaimWire), [0, 1_000_000], 'the claimant\'s own claim counts')
  const group = Array.from({ length: 100 }, (_, g) => g).find(g => ownerOf(g, [first.id, second.id]) === first.id)!
  const index = group * GROUP / (16 * 1024)
  assert.is(share.decide(index, 0, false), 'wait', 'the claimant is waited for at first')
  // Silent for twice the patience: counted idle. The first relay's share of the split is now its own to fetch, not
  // the second relay's to wait for (it would be, were the claim it passed on counted).
  assert.is(share.decide(index, 4000, false), 'take')
  assert.is(share.decide(index + 1, 4001, false), 'take', 'the next piece of its share too, at once')
})

pass.run()
