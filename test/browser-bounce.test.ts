// A visitor who opens one page and leaves (about half of all visits): planktos' own files it costs the origin are the
// install script, the worker, the manifest and the part of the page's shard, never the downloader or a torrent, which
// only a visitor who reads on can pay back (docs/engine.md). Sizes and ratios live in `npm run bench bill`.
import * as assert from 'uvu/assert'
import { startTracker } from '../integrations/cli/tracker.ts'
import { controlled, installed, stats, until, visitor, within } from './helpers/browsers.ts'
import { buildSite, gallery, isPlanktosFile, pageFiles, siteFiles, startOrigin } from './helpers/site.ts'
import { browserSuites } from './helpers/suite.ts'

const GALLERY = gallery(2)

/** What a logged planktos URL is, by kind. */
function kind (base: string, url: string): string {
  if (url.includes('/planktos/t/')) return 'torrent'
  if (url.includes('/planktos/p/')) return 'part'
  return url.slice(base.length)
}

browserSuites(name => `${name}: a visitor who reads one page and leaves`, ({ test }) => {
  test('costs the origin install.js, the worker, the manifest and one part: no downloader, no torrent', async ({ browser }) => {
    const tracker = await startTracker({ port: 0 })
    const site = await buildSite({ announce: [tracker.url] }, GALLERY.files)
    const origin = await startOrigin(site)
    try {
      const files = await siteFiles(site)
      const page = await (await visitor(browser)).newPage()
      await page.goto(origin.url)
      await installed(page)
      await controlled(page)
      // The worker has stored the page's files (it needed the part for that), and the page has been idle since: the
      // moment a downloader started at idle would already have run.
      await until(page, "the first page's files to be stored", s => (s.worker?.stored ?? 0) >= pageFiles(files, '').length)
      await within(page.evaluate(() => new Promise(resolve => requestIdleCallback(() => requestIdleCallback(resolve)))), 'the page to be idle')
      assert.is((await stats(page)).downloader, undefined, 'no downloader runs on the page')
      await page.context().close()
      const own = origin.log.filter(e => isPlanktosFile(site.base, e.url)).map(e => kind(site.base, e.url)).sort()
      assert.equal(own, ['part', 'planktos-sw.js', 'planktos/install.js', 'planktos/manifest.json'])
      assert.is(tracker.announces().size, 0, 'the tracker never heard of this visitor')
    } finally {
      await origin.close()
      await tracker.close()
      await site.remove()
    }
  })
})
