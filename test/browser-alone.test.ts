// A visitor alone in a file's swarm (the common case) must not wait for peers: its page learns that it is alone from
// the tracker's answer, and its worker asks the origin at once. That answer must not wait for the page's WebRTC
// offers, which WebTorrent gathers before its first announce (~120 ms in Chromium here, a STUN round trip more on
// the web): the page announces without offers as well (runtime/page/swarm.ts). Here the offers never come (the
// page's createOffer never settles), so a page that waited for them would wait peerTimeout for peers instead.
// "At once" is a limit of half of peerTimeout, not a measured time. Chromium and Firefox.
import { createHash } from 'node:crypto'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { Browser } from 'playwright-core'
import { startTracker } from '../integrations/cli/tracker.ts'
import { BROWSERS, fetchHash, firstVisit, launch, startDownloader } from './helpers/browsers.ts'
import { blob, buildSite, startOrigin } from './helpers/site.ts'

/** Large enough to be streamed (STREAM_FROM) and to start a downloader (WAKE_FROM). */
const BIG = blob(2 * 1024 * 1024, 31)
const BIG_SHA = createHash('sha256').update(BIG).digest('hex')
const PEER_TIMEOUT = 10_000
/** A request answered "at once" beats this; one that waited peerTimeout for peers does not. */
const AT_ONCE = PEER_TIMEOUT / 2

const test = suite<{ browsers: Map<string, Browser> }>('a visitor alone in the swarm')

test.before(async (ctx) => {
  ctx.browsers = new Map()
  for (const name of BROWSERS) ctx.browsers.set(name, await launch(name))
})
test.after(async (ctx) => {
  for (const browser of ctx.browsers?.values() ?? []) await browser.close()
})

/** The page's WebRTC offers never settle, as if gathering them took forever. */
function holdOffers (): void {
  RTCPeerConnection.prototype.createOffer = () => new Promise<RTCSessionDescriptionInit>(() => {})
}

for (const name of BROWSERS) {
  test(`${name}: a page whose WebRTC offers are not ready learns from the tracker that it is alone, and its file comes from the origin at once`, async ({ browsers }) => {
    const tracker = await startTracker({ port: 0 })
    const site = await buildSite({ announce: [tracker.url], peerTimeout: PEER_TIMEOUT }, { 'data/big.bin': BIG })
    const origin = await startOrigin(site)
    const url = `http://127.0.0.1:${origin.port}${site.base}`
    const page = await firstVisit(browsers.get(name)!, url)
    try {
      await page.context().addInitScript(holdOffers)
      await page.reload()
      await startDownloader(page)
      const mark = origin.log.length
      const got = await fetchHash(page, url + 'data/big.bin', AT_ONCE)
      assert.is(got.sha, BIG_SHA)
      assert.is(got.source, 'origin')
      const asked = origin.log.slice(mark).filter(e => e.url === site.base + 'data/big.bin')
      assert.ok(asked.length > 0, 'the origin was asked for the file')
    } finally {
      await page.context().close()
      await origin.close()
      await site.remove()
      await tracker.close()
    }
  })
}

test.run()
