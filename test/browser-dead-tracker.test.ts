// A tracker nobody can reach: it accepts the connection and never says a word (a hung server, or a firewall that
// drops the WebSocket upgrade), so no error ever tells the page it failed. No peer can find a page without a tracker,
// so the page must not hold the worker's requests for `peerTimeout`: a navigation and a large file (both start the
// downloader and ask it for peers) are answered by the origin at once. With peerTimeout at 60 s, a page that waited
// for it fails the test's limit (20 s) instead of passing slowly; nothing here measures time. Chromium and Firefox.
import { createHash } from 'node:crypto'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { Browser } from 'playwright-core'
import { startDeadTrackers, type DeadTrackers } from '../bench/dead-trackers.ts'
import { BROWSERS, fetchHash, firstVisit, launch, stats, within } from './helpers/browsers.ts'
import { blob, buildSite, startOrigin } from './helpers/site.ts'

const BIG = blob(600_000, 23)
const BIG_SHA = createHash('sha256').update(BIG).digest('hex')
/** Far beyond LIMIT: a page or worker that waits for it fails the test. */
const PEER_TIMEOUT = 60_000
/** A hang, not a time measurement. */
const LIMIT = 20_000

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
  test(`${name}: a navigation and a large file come from the origin at once, not after peerTimeout`, async ({ browsers, dead }) => {
    const site = await buildSite({ announce: [dead.silent], peerTimeout: PEER_TIMEOUT }, { 'data/big.bin': BIG })
    const origin = await startOrigin(site)
    const url = `http://127.0.0.1:${origin.port}${site.base}`
    const page = await firstVisit(browsers.get(name)!, url)
    try {
      // The worker asks this page for peers: its downloader starts and announces to the silent tracker.
      const nav = await within(page.goto(url + 'about/'), 'the navigation to about/', LIMIT)
      assert.is(nav?.status(), 200)
      assert.is(nav?.headers()['x-planktos-source'], 'origin')
      const big = await fetchHash(page, url + 'data/big.bin', LIMIT)
      assert.is(big.sha, BIG_SHA)
      assert.is(big.source, 'origin')
      const s = await stats(page)
      assert.is(s.downloader?.peers, 0, 'no peer was found')
    } finally {
      await page.context().close()
      await origin.close()
      await site.remove()
    }
  })
}

test.run()
