// Trackers nobody can reach. One accepts the connection and never says a word (a hung server, or a firewall that
// drops the WebSocket upgrade), so no error ever tells the page; one refuses connections. No peer can find a page
// without a tracker, so neither may make a visitor wait for peers (runtime/page/swarm.ts, tracker-backoff.ts):
// - silent: the tracker's socket has not opened within a second (SOCKET_OPEN), so the page's requests (a large
//   file, the navigation away from it) and the next page's, though that page contacts the tracker again, come from
//   the origin at once instead of after peerTimeout each;
// - refused: the first page's own requests come from the origin at once;
// - and a working tracker is never noted, however long after peerTimeout the page looks at it.
// "At once" is a limit of half of peerTimeout (a page that waited for peers fails it), not a measured time.
// Chromium and Firefox.
import { createHash } from 'node:crypto'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { Browser } from 'playwright-core'
import { startDeadTrackers, type DeadTrackers } from '../bench/dead-trackers.ts'
import { startTracker } from '../integrations/cli/tracker.ts'
import { BROWSERS, connected, fetchHash, firstVisit, launch, pageFetch, startDownloader, stats, trackerNotes, until, within } from './helpers/browsers.ts'
import { blob, buildSite, startOrigin } from './helpers/site.ts'

const BIG = blob(600_000, 23)
const BIG_SHA = createHash('sha256').update(BIG).digest('hex')
const NEXT = blob(600_000, 24)
const NEXT_SHA = createHash('sha256').update(NEXT).digest('hex')
const FILES = { 'data/big.bin': BIG, 'data/next.bin': NEXT }
const PEER_TIMEOUT = 10_000
/** A request answered "at once" beats this; one that waited peerTimeout for peers does not. */
const AT_ONCE = PEER_TIMEOUT / 2

const test = suite<{ browsers: Map<string, Browser>, dead: DeadTrackers }>('trackers nobody can reach')

test.before(async (ctx) => {
  ctx.dead = await startDeadTrackers()
  ctx.browsers = new Map()
  for (const name of BROWSERS) ctx.browsers.set(name, await launch(name))
})
test.after(async (ctx) => {
  for (const browser of ctx.browsers?.values() ?? []) await browser.close()
  await ctx.dead?.close()
})

for (const name of BROWSERS) {
  test(`${name}: a tracker whose socket does not open makes this page and the next stop waiting for peers`, async ({ browsers, dead }) => {
    const site = await buildSite({ announce: [dead.silent], peerTimeout: PEER_TIMEOUT }, FILES)
    const origin = await startOrigin(site)
    const url = `http://127.0.0.1:${origin.port}${site.base}`
    const page = await firstVisit(browsers.get(name)!, url)
    try {
      const connected = dead.silentConnections()
      await startDownloader(page)
      // Asking for a large file makes the page check its trackers. Its socket has not opened within SOCKET_OPEN of the
      // torrent being ready: no peer can come before the origin answers, so the page does not wait for the rest of
      // peerTimeout.
      const first = await fetchHash(page, url + 'data/big.bin', AT_ONCE)
      assert.is(first.sha, BIG_SHA)
      assert.is(first.source, 'origin')
      assert.ok(dead.silentConnections() > connected, 'the downloader connected to the silent tracker')
      // The tracker is named without its trailing slash, as WebTorrent names it.
      const tracker = dead.silent.replace(/\/$/, '')
      await within((async () => { while (!(await trackerNotes(page))[tracker]?.silent) await page.waitForTimeout(200) })(), 'the silent tracker to be noted', AT_ONCE)
      // A page that has waited once does not wait again: the worker asks it for the next page's peers.
      const nav = await within(page.goto(url + 'about/'), 'the navigation to about/', AT_ONCE)
      assert.is(nav?.status(), 200)
      assert.is(nav?.headers()['x-planktos-source'], 'origin')
      // The next page's downloader (started by its request) tries the tracker again, and does not wait for it.
      const connections = dead.silentConnections()
      const next = await fetchHash(page, url + 'data/next.bin', AT_ONCE)
      assert.is(next.sha, NEXT_SHA)
      assert.is(next.source, 'origin')
      assert.ok((await stats(page)).downloader, 'the next page\'s downloader runs')
      assert.ok(dead.silentConnections() > connections, 'the next page still contacts the tracker: it may only have been slow')
    } finally {
      await page.context().close()
      await origin.close()
      await site.remove()
    }
  })

  test(`${name}: a tracker refusing connections does not make the first page wait for peers`, async ({ browsers, dead }) => {
    const site = await buildSite({ announce: [dead.refused], peerTimeout: PEER_TIMEOUT }, FILES)
    const origin = await startOrigin(site)
    const url = `http://127.0.0.1:${origin.port}${site.base}`
    const page = await firstVisit(browsers.get(name)!, url)
    try {
      await startDownloader(page)
      const big = await fetchHash(page, url + 'data/big.bin', AT_ONCE)
      assert.is(big.sha, BIG_SHA)
      assert.is(big.source, 'origin')
      const nav = await within(page.goto(url + 'about/'), 'the navigation to about/', AT_ONCE)
      assert.is(nav?.headers()['x-planktos-source'], 'origin')
    } finally {
      await page.context().close()
      await origin.close()
      await site.remove()
    }
  })
}

for (const name of BROWSERS) {
  test(`${name}: a working tracker is not noted when the page looks at it after peerTimeout`, async ({ browsers }) => {
    const tracker = await startTracker()
    const site = await buildSite({ announce: [tracker.url], peerTimeout: 1000 }, FILES)
    const origin = await startOrigin(site)
    const url = `http://127.0.0.1:${origin.port}${site.base}`
    const A = await firstVisit(browsers.get(name)!, url)
    const B = await firstVisit(browsers.get(name)!, url)
    try {
      await pageFetch(A, url + 'data/big.bin')
      await until(A, 'A to store big.bin', s => (s.worker?.stored ?? 0) >= 1)
      await startDownloader(A)
      await startDownloader(B)
      await connected(B, 'B to find A')
      // Well past peerTimeout, B's only peer leaves: B's page reports its swarm again, which reads `alone` (its
      // tracker said two are there, so its socket decides).
      await B.waitForTimeout(3000)
      await A.context().close()
      await until(B, 'B to see A go', s => s.downloader?.peers === 0)
      assert.equal(Object.keys(await trackerNotes(B)), [], 'B noted its working tracker')
      // And the worker was told B is not alone: B's request waits for peers, then the origin (peerTimeout 1 s).
      assert.is((await fetchHash(B, url + 'data/next.bin')).sha, NEXT_SHA)
      assert.equal(Object.keys(await trackerNotes(B)), [], 'B noted its working tracker')
    } finally {
      await B.context().close()
      await A.context().close().catch(() => {})
      await origin.close()
      await site.remove()
      await tracker.close()
    }
  })
}

test.run()
