// How a crowd splits the origin's pieces (runtime/page/share.ts): every member computes the same owner for a group
// of pieces, the owners share the file about evenly, a member fetches its own share at once and waits a bounded
// while for the others', and a response blocked on a piece waits for peers about as long as the origin would take.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { GROUP, OriginShare, ownerOf, type Member } from '../runtime/page/share.ts'

const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => '2d5757303330302d' + (0x5a17 * (i + 1)).toString(16).padStart(24, '0'))
const PIECE = 16 * 1024
/** Pieces per group. */
const PER = GROUP / PIECE
const PATIENCE = 2000

const split = suite('ownerOf')

split('every member names the same owner whatever order it lists the members in', () => {
  const all = ids(5)
  for (let g = 0; g < 100; g++) assert.is(ownerOf(g, all), ownerOf(g, [...all].reverse()))
})

split('shares the groups about evenly among five members', () => {
  const all = ids(5)
  const count = new Map<string, number>()
  for (let g = 0; g < 1000; g++) count.set(ownerOf(g, all), (count.get(ownerOf(g, all)) ?? 0) + 1)
  for (const id of all) assert.ok((count.get(id) ?? 0) > 120 && (count.get(id) ?? 0) < 280, `${id} owns ${count.get(id)} of 1000 groups`)
})

split('a member leaving moves only its own groups', () => {
  const all = ids(4)
  const rest = all.slice(1)
  for (let g = 0; g < 200; g++) {
    const before = ownerOf(g, all)
    if (before !== all[0]) assert.is(ownerOf(g, rest), before)
  }
})

interface Fake extends Member { id: string, pieces: Set<number>, lastHave: number, fetches?: unknown }
const member = (id: string): Fake => {
  const pieces = new Set<number>()
  return { id, pieces, lastHave: -Infinity, has: (i: number) => pieces.has(i) }
}

/**
 * A share for the first of `n` members, the others as fakes, a piece index of a group each member owns, and the
 * view's `lastReceived` (when a peer last sent this page a block) to set.
 */
function crowd (n: number): { share: OriginShare, self: string, others: Fake[], pieceOf: (id: string) => number, view: { lastReceived: number } } {
  const all = ids(n)
  const others = all.slice(1).map(member)
  const view = { self: all[0]!, pieceLength: PIECE, members: () => others, lastReceived: -Infinity }
  const share = new OriginShare(view, PATIENCE)
  const pieceOf = (id: string): number => {
    for (let g = 0; ; g++) if (ownerOf(g, all) === id) return g * PER
  }
  return { share, self: all[0]!, others, pieceOf, view }
}

const decide = suite('OriginShare.decide')

decide('alone in the swarm, every piece is taken from the origin at once', () => {
  const share = new OriginShare({ self: ids(1)[0]!, pieceLength: PIECE, members: () => [], lastReceived: -Infinity }, PATIENCE)
  for (let i = 0; i < 3 * PER; i++) assert.is(share.decide(i, 0, false), 'take')
})

decide('a member takes its own share at once and waits for the others\' owners', () => {
  const { share, self, others, pieceOf } = crowd(3)
  assert.is(share.decide(pieceOf(self), 0, false), 'take')
  assert.is(share.decide(pieceOf(others[0]!.id), 0, false), 'wait')
  assert.is(share.decide(pieceOf(others[1]!.id), 0, false), 'wait')
})

decide('a piece a peer has waits for that peer', () => {
  const { share, self, pieceOf } = crowd(3)
  assert.is(share.decide(pieceOf(self), 0, true), 'wait')
})

decide('an owner that announces nothing for the patience loses that piece, and its later ones, to the origin', () => {
  const { share, others, pieceOf } = crowd(3)
  const silent = others[0]!
  const index = pieceOf(silent.id)
  assert.is(share.decide(index, 0, false), 'wait')
  assert.is(share.decide(index, PATIENCE - 1, false), 'wait')
  assert.is(share.decide(index, PATIENCE, false), 'take')
  // Left out of the split now: its other groups go to the remaining members at once (some of them to us).
  const later = Array.from({ length: 50 }, (_, g) => (g + 1000) * PER)
  assert.ok(later.every(i => share.decide(i, PATIENCE, false) === 'take' || ownerOf(i / PER, [ids(3)[0]!, others[1]!.id]) !== ids(3)[0]))
})

decide('an owner that keeps announcing pieces is waited for, but not past twice the patience', () => {
  const { share, others, pieceOf } = crowd(3)
  const busy = others[0]!
  const index = pieceOf(busy.id)
  assert.is(share.decide(index, 0, false), 'wait')
  busy.lastHave = PATIENCE
  assert.is(share.decide(index, PATIENCE + 100, false), 'wait')
  busy.lastHave = 2 * PATIENCE - 10
  assert.is(share.decide(index, 2 * PATIENCE, false), 'take')
})

decide('an owner that left: its groups are shared among those still here', () => {
  const { share, others, pieceOf } = crowd(2)
  const index = pieceOf(others[0]!.id)
  assert.is(share.decide(index, 0, false), 'wait')
  others.pop()
  assert.is(share.decide(index, 1, false), 'take')
})

decide('peeking does not start a wait', () => {
  const { share, others, pieceOf } = crowd(3)
  const index = pieceOf(others[0]!.id)
  assert.is(share.decide(index, 0, false, true), 'wait')
  // A real ask at the patience starts the clock only now.
  assert.is(share.decide(index, PATIENCE, false), 'wait')
})

const whole = suite('OriginShare: a member whose worker fetches the pieces from the origin itself')

whole('owns every piece it said it fetches and lacks, the pieces this page would own included', () => {
  const { share, self, others, pieceOf } = crowd(3)
  const streaming = others[1]!
  const mine = pieceOf(self)
  assert.is(share.decide(mine, 0, false), 'take', 'before it says so, this page takes its share')
  streaming.fetches = [0, mine + 10 * PER]
  assert.is(share.decide(mine + 1, 0, false), 'wait', 'within its pieces: waited for')
  assert.is(share.decide(mine + 10 * PER, 0, false), 'wait', 'its last piece: waited for')
  // Outside its pieces the split is as before.
  const outside = Array.from({ length: 200 }, (_, g) => (g + 2000) * PER).find(i => ownerOf(i / PER, ids(3)) === self)!
  assert.ok(outside > mine + 10 * PER)
  assert.is(share.decide(outside, 0, false), 'take')
})

whole('a piece it already has is not its to fetch: the split decides among the others', () => {
  const { share, self, others, pieceOf } = crowd(3)
  const mine = pieceOf(self)
  others[1]!.fetches = [0, 1_000_000]
  others[1]!.pieces.add(mine)
  assert.is(share.decide(mine, 0, false), 'take')
})

whole('it loses its pieces once it announces nothing for twice the patience', () => {
  const { share, self, others, pieceOf } = crowd(3)
  others[1]!.fetches = [0, 1_000_000]
  others[1]!.lastHave = 0
  const mine = pieceOf(self)
  assert.is(share.decide(mine, 0, false), 'wait')
  assert.is(share.decide(mine, 2 * PATIENCE - 1, false), 'wait', 'a large piece can take it longer than the patience')
  assert.is(share.decide(mine, 2 * PATIENCE, false), 'take')
  assert.is(share.decide(mine + PER * 5000, 2 * PATIENCE, false), ownerOf(mine / PER + 5000, [self, others[0]!.id]) === self ? 'take' : 'wait', 'left out of the split now')
})

whole('two such members share the pieces between them; the rest wait for both', () => {
  const { share, others } = crowd(4)
  others[0]!.fetches = [0, 1_000_000]
  others[2]!.fetches = [0, 1_000_000]
  const claimants = [others[0]!.id, others[2]!.id]
  for (let g = 0; g < 40; g++) assert.is(share.decide(g * PER, 0, false), 'wait')
  // Each is waited for on the pieces the split between the two gives it. The first, silent for the patience, loses
  // the piece it held up; from then on the second, which keeps announcing, owns them all.
  const firsts = Array.from({ length: 40 }, (_, g) => g).filter(g => ownerOf(g, claimants) === claimants[0])
  assert.ok(firsts.length > 5 && firsts.length < 35, `the first claimant owns ${firsts.length} of 40 groups`)
  others[2]!.lastHave = PATIENCE
  assert.is(share.decide(firsts[0]! * PER, PATIENCE, false), 'take')
  for (let g = 0; g < 40; g++) if (g !== firsts[0]) assert.is(share.decide(g * PER, PATIENCE, false), 'wait', `group ${g}`)
})

whole('this page fetching them itself takes each at once, whoever the split would name', () => {
  const { share, others, pieceOf } = crowd(3)
  share.fetches = [0, 1_000_000]
  assert.is(share.decide(pieceOf(others[0]!.id), 0, false), 'take')
  assert.is(share.decide(pieceOf(others[1]!.id), 0, false), 'take')
})

whole('a claim that is not a pair of piece numbers is ignored', () => {
  const { share, self, others, pieceOf } = crowd(3)
  // What bencode can decode a peer's handshake into: numbers, byte strings, lists and dictionaries.
  const throws = { valueOf () { throw new Error('coerced') } }
  for (const claim of ['all', 7, { 0: 0, 1: 1e9 }, null, new Uint8Array([0, 255]), [new Uint8Array([0]), new Uint8Array([255])], ['0', '1000'], [throws, 1e9], [0, throws], [{}, 5]]) {
    others[1]!.fetches = claim
    assert.is(share.decide(pieceOf(self), 0, false), 'take', String(claim))
  }
})

const urgent = suite('OriginShare: the urgent window')

urgent('a blocked piece a peer holds goes to the origin once it waited the patience (pace unknown)', () => {
  const { share, self, pieceOf } = crowd(3)
  const index = pieceOf(self)
  const unblock = share.blocked(index, index, 0)
  assert.is(share.decide(index, PATIENCE - 1, true), 'wait')
  assert.is(share.decide(index, PATIENCE, true), 'take')
  unblock()
  assert.is(share.decide(index, 10 * PATIENCE, true), 'wait', 'no longer blocked: the peer is waited for')
})

urgent('once the origin\'s pace is known, a blocked piece waits about twice what the origin takes for a group', () => {
  const { share, others, pieceOf } = crowd(3)
  const index = pieceOf(others[0]!.id)
  // 1 MiB in 200 ms: a group would take 200 ms, so a blocked piece waits 400 ms for peers.
  share.originTook(GROUP, 200)
  assert.is(share.urgentLimit(), 400)
  share.blocked(index, index, 0)
  assert.is(share.decide(index, 399, false), 'wait')
  assert.is(share.decide(index, 400, false), 'take')
})

urgent('a slow origin never makes a blocked piece wait longer than the patience', () => {
  const { share } = crowd(3)
  share.originTook(GROUP, 60_000)
  assert.is(share.urgentLimit(), PATIENCE)
})

urgent('a blocked piece whose owner keeps announcing pieces waits for it, but not past twice the patience', () => {
  // A crowd arriving together: everyone is blocked on the same group while its owner still fetches it.
  const { share, others, pieceOf } = crowd(3)
  const owner = others[0]!
  const index = pieceOf(owner.id)
  share.originTook(GROUP, 200)
  share.blocked(index, index, 0)
  owner.lastHave = 300
  assert.is(share.decide(index, 500, false), 'wait', 'the owner announced a piece 200 ms ago')
  owner.lastHave = 2 * PATIENCE - 100
  assert.is(share.decide(index, 2 * PATIENCE - 1, false), 'wait')
  assert.is(share.decide(index, 2 * PATIENCE, false), 'take')
})

urgent('a blocked piece whose owner went silent comes from the origin after the urgent limit', () => {
  const { share, others, pieceOf } = crowd(3)
  const owner = others[0]!
  const index = pieceOf(owner.id)
  share.originTook(GROUP, 200)
  owner.lastHave = 0
  share.blocked(index, index, 0)
  assert.is(share.decide(index, 399, false), 'wait')
  assert.is(share.decide(index, 400, false), 'take')
})

urgent('a blocked piece a peer is sending waits while its pieces arrive, but not past twice the patience', () => {
  const { share, self, pieceOf, view } = crowd(3)
  const index = pieceOf(self)
  share.blocked(index, index, 0)
  view.lastReceived = PATIENCE
  assert.is(share.decide(index, PATIENCE + 100, true), 'wait', 'a piece from peers was verified 100 ms ago')
  view.lastReceived = 2 * PATIENCE - 1
  assert.is(share.decide(index, 2 * PATIENCE, true), 'take')
})

urgent('a response that falls behind the origin\'s pace is late, and its blocked pieces come from the origin at once', () => {
  const { share, others } = crowd(3)
  // Origin pace unknown: judged against a group per patience, after twice the patience.
  assert.is(share.lateIn(0, 0), 2 * PATIENCE, 'too early to judge: a crowd\'s first bytes wait for their owners')
  assert.is(share.lateIn(0, 2 * PATIENCE), 0, 'nothing at all after twice the patience: late')
  assert.ok(share.lateIn(GROUP, 2 * PATIENCE) > 0, 'a group by then: not late yet')
  // The origin sends this member a group in 2 s (512 KiB/s, its share while the crowd fetches too).
  share.originTook(GROUP, 2000)
  assert.is(share.lateIn(4 * PIECE, 10 * PATIENCE), 0, 'a peer trickling 3 KiB/s is late')
  assert.ok(share.lateIn(3 * GROUP, 4 * PATIENCE) > 0, 'peers at 768 KiB/s after the grace: ahead of the origin')
  assert.is(Math.round(share.lateIn(GROUP, 2 * PATIENCE + 1000)), 1000, 'a group in the first second after the grace: late in 1 s unless more comes')
  assert.is(share.lateIn(GROUP, 2 * PATIENCE + 3000), 0, 'a group in 3 s after the grace, a third slower than the origin: late')
  // The members do not divide the pace: it was measured while they fetched their own shares.
  others.splice(1)
  assert.is(Math.round(share.lateIn(GROUP, 2 * PATIENCE + 1000)), 1000, 'the same with one member fewer')
})

urgent('a rushed piece comes from the origin until every response that rushed it is done, whatever other windows do', () => {
  const { share } = crowd(3)
  const index = 5
  const done = share.rush(index, index + 1)
  assert.ok(share.rushed(index))
  assert.is(share.decide(index, 1, true), 'take', 'a piece a peer has, for a late response: from the origin at once')
  assert.is(share.decide(index + 2, 1, true), 'wait', 'a piece the response does not wait for still waits for the peer')
  // Another response's ordinary window on the same piece ends: the rush stays.
  share.blocked(index, index, 1)()
  assert.is(share.decide(index, 2, true), 'take', 'another window ending does not undo the rush')
  const other = share.rush(index, index)
  done()
  assert.is(share.decide(index, 3, true), 'take', 'a second response still rushes it')
  other()
  assert.not.ok(share.rushed(index))
  assert.is(share.decide(index, 4, true), 'wait', 'nobody rushes it: the peer is waited for again')
})

split.run()
decide.run()
urgent.run()
whole.run()
