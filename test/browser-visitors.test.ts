// Two visitors browsing a site of several pages with images, through a local tracker: the second visitor gets
// nearly everything from the first (counted at the origin and at the wire), and once the origin is down both
// keep browsing: A reloads what it visited, B opens a page it never loaded and gets it from A. Run for two
// Chromium visitors and for Chromium with Firefox both ways.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { Browser, Page } from 'playwright-core'
import { startTracker, type TrackerHandle } from '../integrations/cli/tracker.ts'
import type { FileEntry } from '../runtime/shared/manifest.ts'
import type { Traffic } from '../runtime/shared/messages.ts'
import { connected, firstVisit, installed, launch, startDownloader, stats, until, type BrowserName } from './helpers/browsers.ts'
import { buildSite, gallery, isPlanktosFile, pageFiles, siteFiles, startOrigin, type Origin, type TestSite } from './helpers/site.ts'
import { renderCheck, originSiteBytes } from './helpers/suite.ts'

// Long enough that the origin hedge never starts while peers are connecting: this test is about the peer path.
const PEER_TIMEOUT = 10_000
const GALLERY = gallery(5)
/** Pages A visits. B visits them too, in the same order, except the last, which B opens with the origin down. */
const PAGES = ['', 'about/', ...GALLERY.pages.map(p => p.url)]
const UNSEEN = PAGES[PAGES.length - 1]!
const assertRendered = renderCheck(GALLERY)

/*
 * B waits on each page until its downloader is connected to a peer, as it is when a visitor has read a page for a
 * moment. (A visitor who clicks on sooner gets the next page from the origin: Firefox cancels a page's fetches as
 * soon as a navigation away from it starts, its downloader's among them.)
 */

interface Pair {
  tracker: TrackerHandle
  site: TestSite
  origin: Origin
  files: Map<string, FileEntry>
  A: Page
  B: Page
}

const minus = (a: Traffic, b: Traffic): Traffic => ({
  fromPeers: a.fromPeers - b.fromPeers,
  fromOrigin: a.fromOrigin - b.fromOrigin,
  uploaded: a.uploaded - b.uploaded,
  verifyFailures: a.verifyFailures - b.verifyFailures
})
const percent = (x: number): string => `${(100 * x).toFixed(1)}%`

const PAIRS: Array<[BrowserName, BrowserName]> = [['chromium', 'chromium'], ['chromium', 'firefox'], ['firefox', 'chromium']]
const test = suite<{ browsers: Map<BrowserName, Browser>, pairs: Map<string, Pair> }>('two visitors, several pages')

test.before(async (ctx) => {
  ctx.browsers = new Map()
  ctx.pairs = new Map()
  for (const name of new Set(PAIRS.flat())) ctx.browsers.set(name, await launch(name))
})
test.after(async (ctx) => {
  for (const pair of ctx.pairs?.values() ?? []) await close(pair)
  for (const browser of ctx.browsers?.values() ?? []) await browser.close()
})

async function close (pair: Pair): Promise<void> {
  await pair.A.context().close()
  await pair.B.context().close()
  await pair.origin.close()
  await pair.tracker.close()
  await pair.site.remove()
}

for (const [a, b] of PAIRS) {
  const key = `${a} then ${b}`

  test(`${key}: after B's first page, at least 90% of B's bytes come from peers, and every page renders`, async ({ browsers, pairs }) => {
    const tracker = await startTracker({ port: 0 })
    const site = await buildSite({ announce: [tracker.url], peerTimeout: PEER_TIMEOUT }, GALLERY.files)
    const origin = await startOrigin(site)
    const files = await siteFiles(site)

    const A = await firstVisit(browsers.get(a)!, origin.url)
    await assertRendered(A, files, '')
    for (const url of PAGES.slice(1)) {
      await A.goto(origin.url + url)
      await assertRendered(A, files, url)
    }
    const aFiles = new Set(PAGES.flatMap(url => pageFiles(files, url)))
    await until(A, 'A to store every file it loaded', s => (s.worker?.stored ?? 0) >= aFiles.size)
    await installed(A)

    const B = await firstVisit(browsers.get(b)!, origin.url)
    pairs.set(key, { tracker, site, origin, files, A, B })
    // B reads its first page long enough for install.js to start the downloader there (STAY); on later pages it
    // starts when the page is idle.
    await startDownloader(B)
    await connected(B)
    const mark = origin.log.length
    const before = (await stats(B)).worker!

    for (const url of PAGES.slice(1, -1)) {
      await B.goto(origin.url + url)
      await assertRendered(B, files, url)
      await installed(B)
      await connected(B)
    }

    const after = (await stats(B)).worker!
    const first = new Set(pageFiles(files, ''))
    const needed = [...new Set(PAGES.slice(1, -1).flatMap(url => pageFiles(files, url)))].filter(p => !first.has(p))
    const neededBytes = needed.reduce((n, p) => n + files.get(p)!.size, 0)
    const fromOrigin = originSiteBytes(origin, site.base, mark)
    const atOrigin = 1 - fromOrigin / neededBytes
    const wire = minus(after.downloaders, before.downloaders)
    const workerOrigin = after.bytes.origin - before.bytes.origin
    const atWire = wire.fromPeers / (wire.fromPeers + wire.fromOrigin + workerOrigin)
    const overhead = origin.log.slice(mark).filter(e => isPlanktosFile(site.base, e.url))
    console.log(`  ${key}: B needed ${neededBytes} bytes after its first page; the origin served ${fromOrigin} of site files ` +
      `(peers ${percent(atOrigin)} at the origin); B's downloaders got ${wire.fromPeers} from peers, ${wire.fromOrigin} by web seed, ` +
      `its worker ${workerOrigin} from the origin (peers ${percent(atWire)} at the wire); planktos files: ` +
      `${overhead.length} requests, ${overhead.reduce((n, e) => n + e.bytes, 0)} bytes`)
    assert.ok(atOrigin >= 0.9, `peer share at the origin: ${percent(atOrigin)}`)
    assert.ok(atWire >= 0.9, `peer share at the wire: ${percent(atWire)}`)
    assert.is(after.verifyFailures, 0)
    assert.is(wire.verifyFailures, 0)
  })

  test(`${key}: with the origin down, B opens a page it never loaded, with its images, from A`, async ({ pairs }) => {
    const pair = pairs.get(key)
    assert.ok(pair, 'the first test of this pair ran')
    const { origin, files, B } = pair!
    await origin.close()
    const res = await B.goto(origin.url + UNSEEN)
    assert.is(res?.headers()['x-planktos-source'], 'peers')
    await assertRendered(B, files, UNSEEN)
  })

  test(`${key}: with the origin down, A reloads every page it visited`, async ({ pairs }) => {
    const pair = pairs.get(key)
    assert.ok(pair, 'the first test of this pair ran')
    const { origin, files, A } = pair!
    for (const url of PAGES) {
      const res = await A.goto(origin.url + url)
      assert.is(res?.headers()['x-planktos-source'], 'store', `${url || 'home'} came from A's store`)
      await assertRendered(A, files, url)
    }
    pairs.delete(key)
    await close(pair!)
  })
}

test.run()
