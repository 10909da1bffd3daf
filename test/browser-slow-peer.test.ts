// A slow peer: the only other visitor holding a file sends at a trickle (its data channels are throttled by a test
// script), while the origin is fast. A visitor asking for the file gets it right, and most of it from the origin: the
// engine notices that the peer is far slower than the origin would be and does not let it hold the response
// (issue 11: never slower than without planktos). The slow peer is a Chromium page; the visitor Chromium, then Firefox.
import { createHash } from 'node:crypto'
import * as assert from 'uvu/assert'
import { startTracker } from '../integrations/cli/tracker.ts'
import { BROWSERS, connected, controlled, fetchHash, firstVisit, installed, startDownloader, stats, visitor } from './helpers/browsers.ts'
import { blob, buildSite, startOrigin } from './helpers/site.ts'
import { browsersSuite } from './helpers/suite.ts'

const SIZE = 4 * 1024 * 1024
const BIG = blob(SIZE, 41)
const SHA = createHash('sha256').update(BIG).digest('hex')
const FILE = 'data/slow.bin'
/** What the slow peer sends per second, over all its data channels: the origin on loopback is hundreds of times faster. */
const TRICKLE = 48 * 1024
/** A hang, not a time limit: at the trickle, the whole file from the peer would take about 90 s. */
const SLOW = 240_000

/** Runs in the slow peer's pages: every data-channel message waits its turn at TRICKLE bytes per second. */
function trickleScript (rate: number): void {
  const send = RTCDataChannel.prototype.send as (this: RTCDataChannel, data: unknown) => void
  let queue = Promise.resolve()
  RTCDataChannel.prototype.send = function (this: RTCDataChannel, data: unknown) {
    const n = (data as { byteLength?: number, size?: number, length?: number }).byteLength ?? (data as { size?: number }).size ?? String(data).length
    queue = queue.then(() => new Promise(resolve => setTimeout(resolve, n / rate * 1000))).then(() => {
      try { if (this.readyState === 'open') send.call(this, data) } catch {}
    })
  }
}

const test = browsersSuite('a slow peer')

for (const name of BROWSERS) {
  test(`${name}: a peer far slower than the origin supplies little of a file; the visitor gets it right`, async ({ browsers }) => {
    const tracker = await startTracker({ port: 0 })
    const site = await buildSite({ announce: [tracker.url], peerTimeout: 2000 }, { [FILE]: BIG })
    const origin = await startOrigin(site)
    const url = origin.url
    const slowContext = await visitor(browsers.get('chromium')!)
    try {
      await slowContext.addInitScript(trickleScript, TRICKLE)
      const slow = await slowContext.newPage()
      await slow.goto(url)
      await installed(slow)
      await controlled(slow)
      assert.is((await fetchHash(slow, url + FILE)).sha, SHA, 'the slow peer has the file')
      await startDownloader(slow)
      const page = await firstVisit(browsers.get(name)!, url)
      await startDownloader(page)
      await connected(page)
      const mark = origin.log.length
      const began = Date.now()
      const got = await fetchHash(page, url + FILE, SLOW)
      const took = Date.now() - began
      const sent = origin.log.slice(mark).filter(e => e.url.startsWith(site.base + FILE)).reduce((n, e) => n + e.bytes, 0)
      const fromPeers = (await stats(page)).downloader?.fromPeers ?? 0
      console.log(`  ${name}: from the slow peer ${(fromPeers / 1024).toFixed(0)} KiB, from the origin ${(sent / SIZE).toFixed(2)} copies; source: ${got.source}, ${took} ms`)
      assert.is(got.sha, SHA, 'the visitor got the file\'s bytes')
      assert.ok(fromPeers < SIZE / 4, `the slow peer supplied ${(fromPeers / 1024).toFixed(0)} KiB of ${SIZE / 1024}`)
      await page.context().close()
    } finally {
      await slowContext.close()
      await origin.close()
      await tracker.close()
      await site.remove()
    }
  })
}

test.run()
