// The worker's one "can peers help?" decision (runtime/worker/peers-help.ts): when it says no, the origin answers
// at once instead of after a wait for peers nobody can supply.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { leftToOrigin, peersCanHelp, WAKE_FROM, worthStarting, type PeerChances } from '../runtime/worker/peers-help.ts'

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

const wake = suite('worthStarting: which requests may start a downloader that has not run yet')

wake('the next page of the visit may: the visitor stays', () => {
  assert.ok(worthStarting({ size: 3000, type: 'text/html; charset=utf-8' }))
})

wake('a large file may: peers can save more than the downloader costs', () => {
  assert.ok(worthStarting({ size: WAKE_FROM, type: 'video/mp4' }))
})

wake('a small late request of a first page may not (a bouncing visitor would pay the downloader for nothing)', () => {
  assert.not.ok(worthStarting({ size: 40_000, type: 'image/webp' }))
  assert.not.ok(worthStarting({ size: WAKE_FROM - 1, type: 'font/woff2' }))
})

wake.run()

const left = suite('leftToOrigin: which late requests the origin answers while the worker lacks their shard\'s part')

left('a script, style, font or image of a shard whose largest file is below WAKE_FROM', () => {
  for (const d of ['script', 'style', 'font', 'image']) assert.ok(leftToOrigin(d, { largest: WAKE_FROM - 1 }), d)
})

left('not when the shard holds a file that could start a downloader, nor when its largest file is not written', () => {
  assert.not.ok(leftToOrigin('image', { largest: WAKE_FROM }))
  assert.not.ok(leftToOrigin('image', {}))
})

left('not a page, a fetch() (which may fetch a page) or media', () => {
  for (const d of ['document', 'iframe', '', 'audio', 'video']) assert.not.ok(leftToOrigin(d, { largest: 10 }), d)
})

left.run()
