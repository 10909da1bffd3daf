// A tracker nobody can reach: it accepts the connection and never says a word (a hung server, or a firewall that
// drops the WebSocket upgrade), so no error ever tells the page it failed. No peer can find a page without a tracker.
// Once the tracker has been silent for peerTimeout, the page stops waiting for it: the tracker goes into the
// visitor's back-off (localStorage), the page's next requests (a large file, a navigation away from it) come from the
// origin at once instead of after peerTimeout each, and the next page does not contact the tracker at all. "At once"
// is checked against a limit of half of peerTimeout (a page that waited for it fails), not measured. Chromium and
// Firefox.
import { createHash } from 'node:crypto'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { Browser, Page } from 'playwright-core'
import { startDeadTrackers, type DeadTrackers } from '../bench/dead-trackers.ts'
import { BROWSERS, fetchHash, firstVisit, launch, startDownloader, stats, within } from './helpers/browsers.ts'
import { blob, buildSite, startOrigin } from './helpers/site.ts'

const BIG = blob(600_000, 23)
const BIG_SHA = createHash('sha256').update(BIG).digest('hex')
const NEXT = blob(600_000, 24)
const NEXT_SHA = createHash('sha256').update(NEXT).digest('hex')
const PEER_TIMEOUT = 10_000
/** A request answered "at once" beats this; one that waited peerTimeout for peers does not. */
const AT_ONCE = PEER_TIMEOUT / 2

/** The back-off entries the page's origin keeps (runtime/page/tracker-backoff.ts), by tracker URL. */
function backoff (page: Page): Promise<Record<string, unknown>> {
  return page.evaluate(() => JSON.parse(localStorage.getItem('planktos-tracker-failures') ?? '{}') as Record<string, unknown>)
}

const test = suite<{ browsers: Map<string, Browser>, dead: DeadTrackers }>('a tracker that never answers')

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
  test(`${name}: once it has been silent for peerTimeout, the page and the next one stop waiting for it`, async ({ browsers, dead }) => {
    const site = await buildSite({ announce: [dead.silent], peerTimeout: PEER_TIMEOUT }, { 'data/big.bin': BIG, 'data/next.bin': NEXT })
    const origin = await startOrigin(site)
    const url = `http://127.0.0.1:${origin.port}${site.base}`
    const page = await firstVisit(browsers.get(name)!, url)
    try {
      const connected = dead.silentConnections()
      await startDownloader(page)
      // The tracker (named without its trailing slash, as WebTorrent names it) goes into back-off after peerTimeout.
      const tracker = dead.silent.replace(/\/$/, '')
      await within((async () => { while (!(tracker in await backoff(page))) await page.waitForTimeout(200) })(), 'the silent tracker to go into back-off', 3 * PEER_TIMEOUT)
      assert.ok(dead.silentConnections() > connected, 'the downloader announced to the silent tracker')
      const big = await fetchHash(page, url + 'data/big.bin', AT_ONCE)
      assert.is(big.sha, BIG_SHA)
      assert.is(big.source, 'origin')
      // The worker asks the page being left for the next page's peers: it answers at once too.
      const nav = await within(page.goto(url + 'about/'), 'the navigation to about/', AT_ONCE)
      assert.is(nav?.status(), 200)
      assert.is(nav?.headers()['x-planktos-source'], 'origin')
      // The next page's downloader (started by its request for another large file) does not contact the tracker.
      const connections = dead.silentConnections()
      const next = await fetchHash(page, url + 'data/next.bin', AT_ONCE)
      assert.is(next.sha, NEXT_SHA)
      assert.is(next.source, 'origin')
      assert.ok((await stats(page)).downloader, 'the next page\'s downloader runs')
      assert.is(dead.silentConnections(), connections, 'the next page did not connect to the silent tracker')
    } finally {
      await page.context().close()
      await origin.close()
      await site.remove()
    }
  })
}

test.run()
