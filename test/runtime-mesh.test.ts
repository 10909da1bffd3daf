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
  await pause(OPTIONS.after * 4)
}

/**
 * A swarm of `members` as the tracker reports it, where each announce connects this page to `gain` more peers (the
 * tracker picks peers at random, so some offers reach peers already connected).
 */
function swarm (members: number, peers: number, gain: number, options = OPTIONS): { announces: () => number, peers: () => number, stop: () => void } {
  let announces = 0
  const mesh = fillMesh({
    update () {
      announces++
      peers = Math.min(members - 1, peers + gain)
      // The tracker answers every announce with the swarm's counts.
      queueMicrotask(() => mesh.heard(members))
    }
  }, () => peers, options)
  mesh.heard(members)
  return { announces: () => announces, peers: () => peers, stop: () => mesh.stop() }
}

const test = suite('filling the mesh')

test('a page reaching 5 of 9 others announces again until it reaches all of them', async () => {
  const s = swarm(10, 5, 2)
  await settled(() => s.peers() === 9)
  assert.is(s.peers(), 9)
  assert.is(s.announces(), 2)
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
  await pause(OPTIONS.after * 3)
  assert.is(s.announces(), 0)
})

test.run()
