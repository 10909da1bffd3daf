// A crowd's pages connected to one another (runs in the page, no WebTorrent import, so it is unit-tested in Node).
// A browser's WebTorrent sends its tracker five WebRTC offers per announce (bittorrent-tracker's WebSocket client caps
// numwant at 5), each relayed to a member the tracker picks at random, and announces again only minutes later. Of ten
// visitors arriving together the early ones are reached by the later ones, but two late ones meet only if the tracker
// happens to pick one for the other: each page ends up connected to 5-7 of the 9. OriginShare (share.ts) splits the
// origin's pieces over the members a page is connected to, so pages that see different members both fetch some groups
// (1.29 owners per group in a simulation of that mesh; a ten-visitor crowd nobody claimed cost 1.56-1.59 copies of
// 128 MiB, docs/engine.md). So while its tracker says the swarm has more members than this page has peers, the page
// announces again, a few times (each time to every tracker of the shard, five more offers each; the same simulation:
// 1.04 owners per group after one more announce each). A peer whose link is still being set up counts as one: the
// other side gathers its candidates before it answers, which takes a while on a loaded machine. The wait is spread
// at random, so that two pages rarely send each other offers at the same moment (each would then keep the other's
// connection and drop its own, and both wait out a dead one).

export interface MeshOptions {
  /** Times the page announces again to fill the mesh, at most, in the torrent's life. */
  readonly most: number
  /** How long after the tracker's answer to look again, at least (at most twice that): offers take a moment. */
  readonly after: number
  /** Peers beyond which a page does not ask for more: past a crowd of this size no split is the same for all. */
  readonly enough: number
}

export const MESH: MeshOptions = { most: 3, after: 1000, enough: 12 }

/** What fillMesh needs of bittorrent-tracker's client: announcing again (to every tracker), with five new offers. */
export interface Announcer {
  update (): void
}

export interface Mesh {
  /** The tracker says the swarm has `members` members, this page included. */
  heard (members: number): void
  /** No more announces (the torrent closed). */
  stop (): void
}

/**
 * Announces again through `tracker` while `peers()` (connected or connecting) is short of what the tracker says the
 * swarm holds.
 */
export function fillMesh (tracker: Announcer, peers: () => number, options: MeshOptions = MESH): Mesh {
  let made = 0
  let others = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  let stopped = false
  const short = (): boolean => peers() < Math.min(others, options.enough)
  return {
    heard (members) {
      others = Math.max(0, members - 1)
      if (stopped || timer || made >= options.most || !short()) return
      timer = setTimeout(() => {
        timer = undefined
        if (stopped || !short()) return
        made++
        tracker.update()
      }, options.after * (1 + Math.random()))
    },
    stop () {
      stopped = true
      clearTimeout(timer)
    }
  }
}
