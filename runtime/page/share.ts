// Which visitor fetches which piece from the origin (runs in the page, no WebTorrent import, so it is unit-tested
// in Node). A crowd that wants the same file at the same time would otherwise have every member pull every piece
// from the web seed. BitTorrent's answer for an initial seeder is to hand each piece to one peer; here the origin
// cannot choose, so each member computes the same split on its own: the pieces, in groups of GROUP bytes, are
// assigned over the members of the swarm by rendezvous hashing (highest hash of member id and group wins), which
// every member computes alike from the same peer ids and which moves only the departed member's groups when the
// swarm changes. A member fetches its own groups from the origin at once and waits a while for the others' owners
// to have them (then WebTorrent fetches them from that peer). The wait is bounded: an owner that says nothing for
// `patience` ms loses its share (it may be reading another page, or stalled), and no piece is meant to wait longer
// than twice `patience` whatever the owner says (not so today: the web seed asks again after a 'take' and that
// restarts the hold; docs/engine.md, "Not done yet"). A piece a response is blocked on (the urgent window) waits
// while the swarm visibly moves: its owner announcing pieces (the web seed hands each piece over as it arrives) or
// peers delivering pieces to this page; after about what the origin would take without either, or twice `patience`
// in all, it comes from the origin. In a crowd that arrives together every member is blocked on the same group at once,
// while its owner is still fetching it: a fixed wait would have them all fetch it too.
import { claimedPieces } from './claims.ts'

/** Bytes of consecutive pieces one member fetches from the origin in one go: the web seed's read-ahead. */
export const GROUP = 1024 * 1024

/** One other member of the swarm, as this page sees it. */
export interface Member {
  readonly id: string
  /** Whether it has said it has piece `index`. */
  has (index: number): boolean
  /** When it last said it has a piece (ms on the clock `now` uses), or -Infinity. */
  readonly lastHave: number
  /** Pieces [first, last] it said it fetches from the origin itself, in order (it was alone when it asked). */
  readonly fetches?: unknown
}

/** What `decide` sees of the swarm. */
export interface SwarmView {
  readonly self: string
  readonly pieceLength: number
  members (): readonly Member[]
  /** When a piece made of peers' blocks last passed verification here (ms on the clock `now` uses), or -Infinity. */
  readonly lastReceived: number
}

/** A 32-bit hash of member `id` and `group`: FNV-1a of the id, then murmur3's finalizer, so that ids differing
 * only in a few characters still win different groups (FNV-1a alone mixes its last bytes poorly). */
function score (id: string, group: number): number {
  let h = 0x811c9dc5
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193)
  h ^= Math.imul(group + 1, 0x9e3779b1)
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/** The member among `ids` that fetches group `group` from the origin. */
export function ownerOf (group: number, ids: readonly string[]): string {
  let best = ids[0]!
  let top = -1
  for (const id of ids) {
    const s = score(id, group)
    if (s > top || (s === top && id < best)) [best, top] = [id, s]
  }
  return best
}

export type Decision = 'take' | 'wait'

/** A response getting its bytes below this share of the origin's pace is behind: the origin would serve it sooner. */
const SLOWER = 1
/** The shortest wait for peers on a piece a response is blocked on: a round trip or two to a peer. */
const URGENT_FLOOR = 250

/**
 * Decides, per piece, whether this page asks the origin for it now. Pieces a response is blocked on (the urgent
 * window, marked by `urgent`) wait for peers at most about as long as the origin would take to send them, so a
 * slow or stalled peer never holds a response longer than the origin would; the rest wait for their owner.
 */
export class OriginShare {
  readonly #view: SwarmView
  readonly #patience: number
  readonly #held = new Map<number, { owner: string, since: number }>()
  /** Members that let a hold run out: left out of the split until they announce a piece again. */
  readonly #idle = new Map<string, number>()
  /** Pieces a response waits for, with when it started waiting. */
  readonly #urgent = new Map<number, number>()
  /** Pieces responses that fell behind want from the origin, with how many such responses want each. */
  readonly #rushed = new Map<number, number>()
  /** The origin's pace as this page saw it (bytes per ms, smoothed), 0 until measured. */
  #rate = 0
  /**
   * Pieces [first, last] this page's worker fetches from the origin itself, in order: the page was alone in the swarm
   * when a response asked for them. Peers that come later are told so when they connect. Kept for the torrent's life:
   * a worker that stopped early (nobody read on) leaves a claim its page no longer fills, which costs a later peer
   * twice the `patience` before it counts this page as silent.
   */
  fetches?: [number, number]

  constructor (view: SwarmView, patience: number) {
    this.#view = view
    this.#patience = patience
  }

  /**
   * The member to fetch piece `index` from the origin, the members lacking it that take part in the split, and whether
   * the owner claimed the piece (it fetches it from the origin anyway).
   */
  #owner (index: number): { owner: string, members: Member[], claimed: boolean } {
    const { self } = this.#view
    const members = this.#view.members().filter(m => !m.has(index) && !(this.#idle.get(m.id)! >= m.lastHave))
    const group = Math.floor(index * this.#view.pieceLength / GROUP)
    // A member that fetches these pieces from the origin anyway owns them all: the others' shares would be pieces the
    // origin sends twice. What a peer says is only a claim: it loses its pieces like any owner once silent, and a claim
    // that is not two numbers is ignored (claimedPieces).
    const within = (f: unknown): boolean => {
      const claim = claimedPieces(f)
      return !!claim && index >= claim[0] && index <= claim[1]
    }
    const claimants = members.filter(m => within(m.fetches)).map(m => m.id)
    if (within(this.fetches)) claimants.push(self)
    return { owner: ownerOf(group, claimants.length ? claimants : [self, ...members.map(m => m.id)]), members, claimed: claimants.length > 0 }
  }

  /**
   * Whether this page should fetch piece `index` from the origin at time `now`; `peerHas`: a connected peer has it
   * (or may: it has not said yet). `peek` asks without starting a wait (the web seed's read-ahead).
   */
  decide (index: number, now: number, peerHas: boolean, peek = false): Decision {
    if (this.rushed(index)) return this.#taken(index)
    const urgent = this.#urgent.get(index)
    if (peerHas) return urgent !== undefined && this.#overdue(now - urgent, now - this.#view.lastReceived) ? this.#taken(index) : 'wait'
    const { owner, members, claimed } = this.#owner(index)
    if (owner === this.#view.self) return this.#taken(index)
    const lastHave = members.find(m => m.id === owner)!.lastHave
    if (urgent !== undefined && this.#overdue(now - urgent, now - lastHave)) return this.#taken(index)
    let held = this.#held.get(index)
    if (peek && !held) return 'wait'
    if (!held || held.owner !== owner) this.#held.set(index, held = { owner, since: now })
    const waited = now - held.since
    // A member fetching the whole file in order announces a piece at a time, and a piece of a large file can take it
    // longer than the patience while the crowd's first requests share the link: in the first test of ten visitors
    // wanting 128 MiB (1 MiB pieces) the others heard from it every 2-5 s. Counted silent, it lost its claim, the other
    // nine split the file among themselves and the origin sent 2.3 copies. It is given twice the patience. A response
    // blocked on one of its pieces still goes to the origin after the urgent wait above.
    if (waited >= this.#patience && now - lastHave >= (claimed ? 2 : 1) * this.#patience) {
      // Silent all along: it is not fetching this file (or cannot); the others' shares stay as they are.
      this.#idle.set(owner, lastHave)
      return this.#taken(index)
    }
    return waited >= 2 * this.#patience ? this.#taken(index) : 'wait'
  }

  /**
   * Whether a blocked piece that waited `waited` ms has waited enough, the swarm having been silent for `silent` ms
   * (its owner announced nothing, or no piece from peers was verified here): silent for the urgent limit, or twice the
   * patience in all, however busy the swarm looks (a slow peer holds a response no longer).
   */
  #overdue (waited: number, silent: number): boolean {
    const limit = this.urgentLimit()
    return waited >= 2 * this.#patience || (waited >= limit && silent >= limit)
  }

  /**
   * How long a blocked response waits for a silent swarm: twice what the origin would take for a group of pieces (an owner
   * fetches it from the origin, then a peer passes it on), `patience` until the origin's pace is known.
   */
  urgentLimit (): number {
    return this.#rate > 0 ? Math.min(this.#patience, Math.max(URGENT_FLOOR, 2 * GROUP / this.#rate)) : this.#patience
  }

  /**
   * In how many ms a response that got `bytes` in the `ms` since it started falls behind (0: it is): under SLOWER of
   * the origin's pace as this page measured it (while that is unknown, a group per `patience`), not counting its first
   * twice `patience` (a crowd's first bytes wait for their owners to fetch them). The measured pace is already this
   * member's share of the origin: in a crowd every member fetches its own groups at once. Judged over the whole
   * response, not per window: a slow peer passing on a piece now and then ends each window's wait before it runs out.
   */
  lateIn (bytes: number, ms: number): number {
    return Math.max(0, bytes / (SLOWER * (this.#rate || GROUP / this.#patience)) + 2 * this.#patience - ms)
  }

  /** A response waits for pieces [first, last] from `now`; the returned function says it no longer does. */
  blocked (first: number, last: number, now: number): () => void {
    const mine: number[] = []
    for (let i = first; i <= last; i++) {
      if (this.#urgent.has(i)) continue
      this.#urgent.set(i, now)
      mine.push(i)
    }
    return () => { for (const i of mine) this.#urgent.delete(i) }
  }

  /**
   * A response that fell behind the origin's pace wants pieces [first, last] from the origin at once, whoever may
   * have them; the returned function says it no longer does (counted: other responses may want them too).
   */
  rush (first: number, last: number): () => void {
    const add = (by: number): void => { for (let i = first; i <= last; i++) this.#rushed.set(i, (this.#rushed.get(i) ?? 0) + by) }
    add(1)
    return () => add(-1)
  }

  /** Whether a response that fell behind wants piece `index` from the origin. */
  rushed (index: number): boolean {
    return this.#rushed.get(index)! > 0
  }

  /** Whether a wait is running out (a hold or a blocked piece), so declined pieces are worth looking at again soon. */
  waiting (): boolean {
    return this.#held.size > 0 || this.#urgent.size > 0
  }

  /** The origin sent `bytes` in `ms`. */
  originTook (bytes: number, ms: number): void {
    if (bytes < 64 * 1024 || ms <= 0) return
    const rate = bytes / ms
    this.#rate = this.#rate > 0 ? 0.7 * this.#rate + 0.3 * rate : rate
  }

  /** Piece `index` arrived or was given up: no hold for it any more. */
  forget (index: number): void {
    this.#held.delete(index)
  }

  #taken (index: number): Decision {
    this.#held.delete(index)
    return 'take'
  }
}
