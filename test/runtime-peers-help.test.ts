// The worker's one "can peers help?" decision (runtime/worker/peers-help.ts): when it says no, the origin answers
// at once instead of after a wait for peers nobody can supply.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { peersCanHelp, type PeerChances } from '../runtime/worker/peers-help.ts'

const test = suite('peersCanHelp')
const good: PeerChances = { trackers: 1, browserRunsPeers: true, pageHasPeers: true, pageMayFindPeers: true }

test('a page with a connected peer in the swarm can help', () => {
  assert.ok(peersCanHelp(good))
  assert.ok(peersCanHelp({ ...good, pageMayFindPeers: false }))
})

test('a page that has not looked for peers yet may still find some', () => {
  assert.ok(peersCanHelp({ ...good, pageHasPeers: false }))
})

test('no tracker in the build: the origin at once', () => {
  assert.not.ok(peersCanHelp({ ...good, trackers: 0 }))
})

test('a browser that cannot run peers: the origin at once, whatever its pages said', () => {
  assert.not.ok(peersCanHelp({ ...good, browserRunsPeers: false }))
})

test('every page heard from its tracker that nobody else is there (or has no WebRTC): the origin at once', () => {
  assert.not.ok(peersCanHelp({ ...good, pageHasPeers: false, pageMayFindPeers: false }))
})

test.run()
