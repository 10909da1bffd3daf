// A page announcing again while it has fewer peers than its tracker says the swarm holds (runtime/page/mesh.ts), in
// Node with a stand-in for bittorrent-tracker's client that answers each announce as the tracker would.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { fillMesh, type MeshOptions } from '../runtime/page/mesh.ts'

const OPTIONS: MeshOptions = { most: 3, after: 20, enough: 12 }
const pause = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))
/** Waits for `done()`, failing after 5 s; then a few more steps' time, for announces that should not come. */
async function settled (done: () => boolean): Promise<void> {
  for (const start = Date.now(); !done(); await pause(5)) if (Date.now() - start > 5000) throw new Error('never got there')
  await pause(OPTIONS.after * 6)
}

/**
 * A swarm of `members` as `trackers` trackers report it (each answers every announce), where each announce connects
 * this page to `gain` more peers (the tracker picks peers at random, so some offers reach peers already connected).
 */
function swarm (members: number, peers: number, gain: number, trackers = 1): { announces: () => number, peers: () => number, heard: () => void, stop: () => void } {
  let announces = 0
  const mesh = fillMesh({
    update () {
      announces++
      peers = Math.min(members - 1, peers + gain)
      // Every tracker answers with the swarm's counts.
      for (let t = 0; t < trackers; t++) queueMicrotask(() => mesh.heard(members))
    }
  }, () => peers, OPTIONS)
  for (let t = 0; t < trackers; t++) mesh.heard(members)
  return { announces: () => announces, peers: () => peers, heard: () => mesh.heard(members), stop: () => mesh.stop() }
}

const test = suite('filling the mesh')

test('a page reaching 5 of 9 others announces again until it reaches all of them', async () => {
  const s = swarm(10, 5, 2)
  await settled(() => s.peers() === 9)
  assert.is(s.peers(), 9)
  assert.is(s.announces(), 2)
})

test('two trackers answering each announce do not double the announces', async () => {
  const s = swarm(10, 5, 1, 2)
  await settled(() => s.announces() >= 3)
  assert.is(s.announces(), 3)
  assert.is(s.peers(), 8)
})

test('it gives up after `most` announces, however short it still is', async () => {
  const s = swarm(10, 3, 1)
  await settled(() => s.announces() === 3)
  assert.is(s.announces(), 3)
  assert.is(s.peers(), 6)
})

test('a page that has every other member, or is alone, never announces again', async () => {
  const full = swarm(10, 9, 1)
  const alone = swarm(1, 0, 1)
  await pause(OPTIONS.after * 3)
  assert.is(full.announces(), 0)
  assert.is(alone.announces(), 0)
})

test('past `enough` peers a page asks for no more, however large the swarm', async () => {
  const s = swarm(100, 5, 4)
  await settled(() => s.peers() >= 12)
  assert.is(s.peers(), 13)
  assert.is(s.announces(), 2)
})

test('a closed torrent announces nothing more', async () => {
  const s = swarm(10, 2, 3)
  s.stop()
  s.heard()
  await pause(OPTIONS.after * 3)
  assert.is(s.announces(), 0)
})

test.run()
