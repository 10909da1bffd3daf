// Prefetch: after one page view of a site built with `prefetch: 'pages'`, the visitor's browser holds every page
// of the site with its images, so with the origin down every page still renders. With a peer holding the site,
// prefetch takes the files from it and not from the origin; without peer-to-peer, through the worker. With `all`, it
// stays within `prefetchBudget`, over every page the visitor opens.
import * as assert from 'uvu/assert'
import type { Page } from 'playwright-core'
import { startTracker } from '../integrations/cli/tracker.ts'
import { firstVisit, installed, stats, until, type PageStats } from './helpers/browsers.ts'
import { blob, buildSite, gallery, isPlanktosFile, pageFiles, siteFiles, startOrigin, type Origin } from './helpers/site.ts'
import { browserSuites, renderCheck } from './helpers/suite.ts'

const GALLERY = gallery(3)
const PAGES = ['', 'about/', ...GALLERY.pages.map(p => p.url)]
const assertRendered = renderCheck(GALLERY)
/** A file no page references: `pages` leaves it alone, `all` takes it if the budget allows. */
const EXTRA = { 'data/big.bin': blob(400_000, 3) }

const prefetched = (page: Page): Promise<PageStats> =>
  until(page, 'prefetch to finish', s => s.downloader?.prefetch.state === 'done' || s.downloader?.prefetch.state === 'stopped')

/** Site-file bytes the origin served from log entry `from` on, by path. */
function originBytes (origin: Origin, base: string, from = 0): Map<string, number> {
  const out = new Map<string, number>()
  for (const e of origin.log.slice(from)) {
    if (isPlanktosFile(base, e.url) || e.url === '/favicon.ico') continue
    const path = decodeURIComponent(new URL(e.url, 'http://x').pathname.slice(base.length))
    out.set(path, (out.get(path) ?? 0) + e.bytes)
  }
  return out
}
const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0)

browserSuites(name => `prefetch in ${name}`, ({ test }) => {
  test('after one page view with prefetch "pages", every page renders with the origin down', async ({ browser }) => {
    const site = await buildSite({ prefetch: 'pages' }, { ...GALLERY.files, ...EXTRA })
    const origin = await startOrigin(site)
    try {
      const files = await siteFiles(site)
      const page = await firstVisit(browser, origin.url)
      const s = await prefetched(page)
      assert.is(s.downloader?.prefetch.state, 'done')
      // Every page but the first, and the images the first did not load.
      const expected = new Set(PAGES.flatMap(url => pageFiles(files, url)))
      for (const path of pageFiles(files, '')) expected.delete(path)
      assert.is(s.downloader?.prefetch.files, expected.size, 'files prefetched')
      assert.is(s.downloader?.verifyFailures, 0)
      // `pages` leaves files no page references alone (a piece shared with a page may bring a few of its bytes).
      assert.ok((originBytes(origin, site.base).get('data/big.bin') ?? 0) < 64 * 1024, 'data/big.bin was not prefetched')

      await origin.close()
      for (const url of PAGES) {
        const res = await page.goto(origin.url + url)
        assert.is(res?.status(), 200, `${url || 'home'} loads`)
        assert.is(res?.headers()['x-planktos-source'], 'store', `${url || 'home'} came from the store`)
        await assertRendered(page, files, url)
      }
      await page.context().close()
    } finally {
      await origin.close()
      await site.remove()
    }
  })

  test('without peer-to-peer (opt-in not given), prefetch goes through the worker, and pages still load offline', async ({ browser }) => {
    const site = await buildSite({ prefetch: 'pages', p2p: 'opt-in' }, GALLERY.files)
    const origin = await startOrigin(site)
    try {
      const files = await siteFiles(site)
      const page = await firstVisit(browser, origin.url)
      const s = await prefetched(page)
      assert.is(s.downloader?.p2p, false)
      assert.is(s.downloader?.prefetch.state, 'done')
      assert.is(s.downloader?.torrents, 0, 'no torrent was joined')
      assert.ok((s.worker?.bytes.origin ?? 0) >= s.downloader!.prefetch.bytes, 'the worker fetched the files')
      await origin.close()
      for (const url of PAGES) {
        const res = await page.goto(origin.url + url)
        assert.is(res?.headers()['x-planktos-source'], 'store', `${url || 'home'} came from the store`)
        await assertRendered(page, files, url)
      }
      await page.context().close()
    } finally {
      await origin.close()
      await site.remove()
    }
  })

  test('prefetch "all" stops at prefetchBudget', async ({ browser }) => {
    const budget = 100_000
    const site = await buildSite({ prefetch: 'all', prefetchBudget: budget }, { ...GALLERY.files, ...EXTRA })
    const origin = await startOrigin(site)
    try {
      const page = await firstVisit(browser, origin.url)
      const mark = origin.log.length
      const s = await prefetched(page)
      assert.is(s.downloader?.prefetch.state, 'done')
      assert.ok((s.downloader?.prefetch.bytes ?? 0) > 0, 'something was prefetched')
      assert.ok(s.downloader!.prefetch.bytes <= budget, `prefetched ${s.downloader!.prefetch.bytes} bytes, budget ${budget}`)
      // The web seed fetches whole pieces, so a little more than the files crosses the wire; never the big file.
      const fetched = originBytes(origin, site.base, mark)
      assert.ok(!fetched.has('data/big.bin') || fetched.get('data/big.bin')! < 64 * 1024, 'data/big.bin was not prefetched')
      assert.ok(sum(fetched) <= budget + 64 * 1024, `the origin served ${sum(fetched)} bytes of site files to prefetch`)
      // The budget is the visitor's, not the page's: the next page's prefetch finds it spent.
      await page.goto(origin.url + 'about/')
      await installed(page)
      const next = await prefetched(page)
      assert.is(next.downloader?.prefetch.state, 'done')
      assert.is(next.downloader?.prefetch.bytes, 0, 'the next page prefetched nothing')
      await page.context().close()
    } finally {
      await origin.close()
      await site.remove()
    }
  })

  test('prefetch takes the files from a peer that has them, not from the origin', async ({ browser }) => {
    const tracker = await startTracker({ port: 0 })
    // A long peerTimeout: this test is about the peer path.
    const site = await buildSite({ prefetch: 'pages', announce: [tracker.url], peerTimeout: 10_000 }, GALLERY.files)
    const origin = await startOrigin(site)
    try {
      const files = await siteFiles(site)
      // A prefetches from the origin (nobody else is there), so it holds every page.
      const A = await firstVisit(browser, origin.url)
      assert.is((await prefetched(A)).downloader?.prefetch.state, 'done')
      const B = await firstVisit(browser, origin.url)
      const mark = origin.log.length
      const s = await prefetched(B)
      assert.is(s.downloader?.prefetch.state, 'done')
      assert.ok((s.downloader?.prefetch.files ?? 0) > 0, 'B prefetched files')
      const fromOrigin = originBytes(origin, site.base, mark)
      assert.equal([...fromOrigin.keys()], [], 'the origin served no site file for B\'s prefetch')
      assert.ok(s.downloader!.fromPeers >= s.downloader!.prefetch.bytes, `B got ${s.downloader!.fromPeers} bytes from peers`)
      await origin.close()
      for (const url of PAGES) {
        await B.goto(origin.url + url)
        await assertRendered(B, files, url)
      }
      await A.context().close()
      await B.context().close()
    } finally {
      await origin.close()
      await tracker.close()
      await site.remove()
    }
  })
})
