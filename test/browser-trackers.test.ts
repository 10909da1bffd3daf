// A site with several trackers: each shard announces to its k picks (trackersFor), and visitors keep finding each
// other when one of a shard's trackers is down. Two visitors of a two-tracker site, in each browser, with either
// tracker stopped after the first visitor joined: the second finds the first through the other tracker and gets a
// file from it. And with three trackers and k = 2, the page announces to the shard's two picks only.
import { createHash } from 'node:crypto'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { Browser } from 'playwright-core'
import { startTracker, type TrackerHandle } from '../integrations/cli/tracker.ts'
import { trackersFor } from '../runtime/shared/trackers.ts'
import { connected, fetchHash, firstVisit, installed, launch, pageFetch, startDownloader, trackerNotes, until, within, BROWSERS } from './helpers/browsers.ts'
import { blob, buildSite, startOrigin, type Origin, type TestSite } from './helpers/site.ts'

const BLOB = blob(300_000, 11)
const BLOB_SHA = createHash('sha256').update(BLOB).digest('hex')
// Long enough that the origin hedge never starts while peers are working: this test is about finding peers.
const PEER_TIMEOUT = 15_000

const test = suite<{ browsers: Map<string, Browser> }>('a site with several trackers')
const cleanup: Array<() => Promise<unknown>> = []
const own = <T extends { close (): Promise<unknown> }>(thing: T): T => {
  cleanup.push(() => thing.close())
  return thing
}

test.before(async (ctx) => {
  ctx.browsers = new Map()
  for (const name of BROWSERS) ctx.browsers.set(name, await launch(name))
})
test.after.each(async () => {
  for (const close of cleanup.splice(0).reverse()) await close().catch(() => {})
})
test.after(async (ctx) => {
  for (const browser of ctx.browsers?.values() ?? []) await browser.close()
})

async function siteWith (trackers: TrackerHandle[]): Promise<{ site: TestSite, origin: Origin }> {
  const site = await buildSite({ announce: trackers.map(t => t.url), peerTimeout: PEER_TIMEOUT }, { 'data/blob.bin': BLOB })
  cleanup.push(() => site.remove())
  return { site, origin: own(await startOrigin(site)) }
}

/** Polls until `tracker` has accepted an announce for `infoHash`. */
async function announcedTo (tracker: TrackerHandle, infoHash: string, what: string): Promise<void> {
  await within((async () => {
    while (!tracker.announces().get(infoHash)) await new Promise(resolve => setTimeout(resolve, 100))
  })(), what)
}

for (const name of BROWSERS) {
  for (const down of [0, 1]) {
    test(`${name}: two visitors of a two-tracker site find each other with tracker ${down + 1} down`, async ({ browsers }) => {
      const browser = browsers.get(name)!
      const trackers = [own(await startTracker()), own(await startTracker())]
      const { site, origin } = await siteWith(trackers)
      const [shard] = site.manifest.shards
      assert.is(site.manifest.shards.length, 1)

      const A = await firstVisit(browser, origin.url)
      own(A.context())
      await A.goto(origin.url + 'about/')
      for (const path of ['data/blob.bin', 'notes/a.txt', 'notes/plain%20text%20%C3%A9.txt']) await pageFetch(A, origin.url + path)
      await until(A, 'A to store every file', s => (s.worker?.stored ?? 0) >= 8)
      await A.goto(origin.url)
      await installed(A)
      await startDownloader(A)
      for (const [i, tracker] of trackers.entries()) await announcedTo(tracker, shard!.infoHash, `A's announce to tracker ${i + 1}`)

      await trackers[down]!.close()
      const B = await firstVisit(browser, origin.url)
      own(B.context())
      await startDownloader(B)
      await connected(B, `B to find A through tracker ${2 - down}`)
      assert.equal(await fetchHash(B, origin.url + 'data/blob.bin'), { sha: BLOB_SHA, source: 'peers' })
      // The working tracker is never noted as failed or silent, by either visitor (the stopped one may be).
      const working = trackers[1 - down]!.url.replace(/\/$/, '')
      for (const [who, page] of [['A', A], ['B', B]] as const) assert.not.ok(Object.keys(await trackerNotes(page)).includes(working), `${who} noted the working tracker`)
    })
  }
}

test('chromium: with three trackers and two per shard, the page announces to the shard\'s two picks only', async ({ browsers }) => {
  const trackers = [own(await startTracker()), own(await startTracker()), own(await startTracker())]
  const { site, origin } = await siteWith(trackers)
  const [shard] = site.manifest.shards
  const picked = trackersFor(shard!.infoHash, trackers.map(t => t.url), 2)
  assert.is(picked.length, 2)
  const A = await firstVisit(browsers.get('chromium')!, origin.url)
  own(A.context())
  await startDownloader(A)
  await pageFetch(A, origin.url + 'data/blob.bin') // joins the shard
  for (const tracker of trackers.filter(t => picked.includes(t.url))) await announcedTo(tracker, shard!.infoHash, `the announce to ${tracker.url}`)
  // WebTorrent announces to all of a torrent's trackers at once: by now the third would have seen it too.
  const other = trackers.find(t => !picked.includes(t.url))!
  assert.is(other.announces().size, 0, 'the tracker the shard did not pick saw no announce')
})

test.run()
