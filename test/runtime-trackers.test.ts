// Spreading a site's shards over its trackers: each shard picks k of the n trackers by a stable hash of its infohash,
// the same in the builder (the .torrent's announce list) and the page (what WebTorrent announces to).
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import bencode from 'bencode'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { normalizeOptions } from '../integrations/options.ts'
import { trackersFor } from '../runtime/shared/trackers.ts'
import { buildSite } from './helpers/site.ts'

const TRACKERS = ['wss://t1.example', 'wss://t2.example', 'wss://t3.example', 'wss://t4.example']
const infoHashes = Array.from({ length: 2000 }, () => randomBytes(20).toString('hex'))

const spread = suite('trackersFor')

spread('picks k distinct trackers of the list, the same ones every time, whatever the case of the infohash', () => {
  for (const infoHash of infoHashes.slice(0, 100)) {
    const picked = trackersFor(infoHash, TRACKERS, 2)
    assert.is(picked.length, 2)
    assert.is(new Set(picked).size, 2)
    for (const url of picked) assert.ok(TRACKERS.includes(url))
    assert.equal(trackersFor(infoHash.toUpperCase(), [...TRACKERS].reverse(), 2), picked, 'independent of the list\'s order and the hex case')
  }
})

spread('keeps every tracker when the site lists k or fewer', () => {
  assert.equal(trackersFor(infoHashes[0]!, TRACKERS.slice(0, 2), 2), TRACKERS.slice(0, 2))
  assert.equal(trackersFor(infoHashes[0]!, [], 2), [])
})

spread('gives each of n trackers about k/n of the shards', () => {
  const load = new Map(TRACKERS.map(url => [url, 0]))
  for (const infoHash of infoHashes) for (const url of trackersFor(infoHash, TRACKERS, 2)) load.set(url, load.get(url)! + 1)
  // k/n = 1/2 of 2,000 shards: 1,000 each; a fair coin stays within ±10% here with overwhelming probability.
  for (const [url, n] of load) assert.ok(n > 900 && n < 1100, `${url} carries ${n} of ${infoHashes.length} shards`)
})

spread('moves only the shards that pick a tracker when it is added', () => {
  const more = [...TRACKERS, 'wss://t5.example']
  let moved = 0
  for (const infoHash of infoHashes) {
    const before = trackersFor(infoHash, TRACKERS, 2)
    const after = trackersFor(infoHash, more, 2)
    if (before.join() !== after.join()) {
      moved++
      assert.ok(after.includes('wss://t5.example'), 'a shard only changes trackers to take the new one')
    }
  }
  // About k/(n+1) = 2/5 of the shards take the new tracker; none of the others move.
  assert.ok(moved > 0.3 * infoHashes.length && moved < 0.5 * infoHashes.length, `${moved} shards moved`)
})

spread.run()

const build = suite('the builder and trackersPerShard')

build('writes each shard\'s picked trackers into its .torrent and trackersPerShard into the manifest', async () => {
  const site = await buildSite({ announce: TRACKERS, trackersPerShard: 3, shardSize: 64 * 1024 }, { 'data/a.bin': randomBytes(200_000), 'data/b.bin': randomBytes(200_000) })
  try {
    assert.is(site.manifest.settings.trackersPerShard, 3)
    assert.ok(site.manifest.shards.length >= 2)
    for (const shard of site.manifest.shards) {
      const torrent = bencode.decode(await readFile(join(site.dir, shard.torrent))) as { 'announce-list': Uint8Array[][] }
      const listed = torrent['announce-list'].map(tier => Buffer.from(tier[0]!).toString())
      assert.equal(listed, trackersFor(shard.infoHash, TRACKERS, 3))
    }
  } finally {
    await site.remove()
  }
})

build('refuses fewer than 2 trackers per shard, naming the option', () => {
  assert.is(normalizeOptions().trackersPerShard, 2)
  for (const bad of [1, 0, 2.5, '3']) {
    assert.throws(() => normalizeOptions({ trackersPerShard: bad as number }), /option "trackersPerShard" must be a whole number, 2 or more/)
  }
})

build.run()
