// Two visitors through a local tracker: the second visitor's worker gets files from the first visitor's
// browser, through its own page's downloader, verified, and the origin is not asked for them.
import { createHash } from 'node:crypto'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { Browser } from 'playwright-core'
import { startTracker } from '../integrations/cli/tracker.ts'
import { connected, fetchHash, firstVisit, imagesLoaded, installed, launch, pageFetch, startDownloader, stats, until, type BrowserName } from './helpers/browsers.ts'
import { blob, buildSite, startOrigin } from './helpers/site.ts'

const BLOB = blob(300_000, 7)
const BLOB_SHA = createHash('sha256').update(BLOB).digest('hex')
// Long enough that the origin hedge never starts while peers are working: this test is about the peer path.
const PEER_TIMEOUT = 15_000

const PAIRS: Array<[BrowserName, BrowserName]> = [['chromium', 'chromium'], ['firefox', 'firefox'], ['chromium', 'firefox']]
const test = suite<{ browsers: Map<BrowserName, Browser> }>('two visitors')

test.before(async (ctx) => {
  ctx.browsers = new Map()
  for (const name of new Set(PAIRS.flat())) ctx.browsers.set(name, await launch(name))
})
test.after(async (ctx) => {
  for (const browser of ctx.browsers?.values() ?? []) await browser.close()
})

for (const [a, b] of PAIRS) {
  test(`${a} then ${b}: the second visitor gets a new page and a large file from the first visitor's browser`, async ({ browsers }) => {
    const tracker = await startTracker({ port: 0 })
    const site = await buildSite({ announce: [tracker.url], peerTimeout: PEER_TIMEOUT }, { 'data/blob.bin': BLOB })
    const origin = await startOrigin(site)
    try {
      // A visits every file, so A's store holds every piece of the one shard.
      const A = await firstVisit(browsers.get(a)!, origin.url)
      await A.goto(origin.url + 'about/')
      for (const path of ['data/blob.bin', 'notes/a.txt', 'notes/plain%20text%20%C3%A9.txt']) await pageFetch(A, origin.url + path)
      await until(A, 'A to store every file', s => (s.worker?.stored ?? 0) >= 8)
      await A.goto(origin.url)
      await installed(A)
      await startDownloader(A)

      const B = await firstVisit(browsers.get(b)!, origin.url)
      await startDownloader(B)
      await connected(B, 'B to connect to A')
      const mark = origin.log.length

      const about = await B.goto(origin.url + 'about/')
      assert.is(about?.headers()['x-planktos-source'], 'peers')
      assert.is(await B.textContent('#title'), 'About this site')
      assert.ok(await imagesLoaded(B))
      // The new page has its own downloader, which must find A again before it can ask.
      await installed(B)
      await startDownloader(B)
      await connected(B, 'B\'s new page to connect to A')
      assert.equal(await fetchHash(B, origin.url + 'data/blob.bin'), { sha: BLOB_SHA, source: 'peers' })

      const served = origin.log.slice(mark).filter(e => !e.url.startsWith('/planktos'))
      assert.equal(served.map(e => e.url), [], 'the origin served no site file after B\'s first page')
      const s = await stats(B)
      assert.ok((s.worker?.bytes.peers ?? 0) >= BLOB.length, `bytes the worker answered from peers: ${s.worker?.bytes.peers}`)
      // This page's downloader fetched most of the file; the page before it fetched the piece shared with about/.
      assert.ok((s.downloader?.fromPeers ?? 0) > BLOB.length / 2, `bytes from peers at the wire: ${s.downloader?.fromPeers}`)
      assert.is(s.downloader?.verifyFailures, 0)
      assert.is(s.worker?.verifyFailures, 0)
    } finally {
      await origin.close()
      await tracker.close()
      await site.remove()
    }
  })
}

test.run()
