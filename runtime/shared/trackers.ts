// Which trackers a shard announces to: each shard picks `perShard` of the site's trackers by rendezvous hashing of
// (tracker URL, infohash), so n trackers each carry about perShard/n of the swarms and need no shared state (a swarm
// lives on the trackers its shard picked). Adding or removing one tracker moves only the shards that picked it.
// One definition for the builder (the .torrent's announce list) and the page (what WebTorrent announces to).
// Runs everywhere: pure functions, no DOM and no Node.

/** Trackers each shard announces to when the site lists more: two, so one tracker down loses no swarm. */
export const DEFAULT_TRACKERS_PER_SHARD = 2

/** The trackers of `announce` the shard `infoHash` (hex) announces to, best first; all of them when there are few. */
export function trackersFor (infoHash: string, announce: readonly string[], perShard: number = DEFAULT_TRACKERS_PER_SHARD): string[] {
  if (announce.length <= perShard) return [...announce]
  const key = infoHash.toLowerCase()
  return announce
    .map(url => ({ url, score: score(url, key) }))
    .sort((a, b) => b.score - a.score || (a.url < b.url ? -1 : a.url > b.url ? 1 : 0))
    .slice(0, perShard)
    .map(t => t.url)
}

/** FNV-1a over the pair, then murmur3's finaliser so similar URLs still scatter; 32 bits, the same in every engine. */
function score (url: string, infoHash: string): number {
  let h = 0x811c9dc5
  const text = `${url}\n${infoHash}`
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}
