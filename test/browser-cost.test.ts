// What planktos costs the origin for a lone first visitor: the same pages visited in a fresh browser with and
// without planktos, counted in the origin's log. Site files may cost at most 2% more; planktos' own files (runtime,
// manifest, parts, torrents) are a fixed overhead, printed here so the README can state it.
import * as assert from 'uvu/assert'
import type { Browser, Page } from 'playwright-core'
import { startTracker } from '../integrations/cli/tracker.ts'
import { controlled, installed, rendered, until, visitor } from './helpers/browsers.ts'
import { buildSite, gallery, isPlanktosFile, pageFiles, plainSite, siteFiles, startOrigin, type Origin, type RequestLogEntry } from './helpers/site.ts'
import { browserSuites } from './helpers/suite.ts'

const GALLERY = gallery(4)
/** A visit: every page once, then back to the first gallery page and home (a visitor going back). */
const VISIT = ['', 'about/', ...GALLERY.pages.map(p => p.url), GALLERY.pages[0]!.url, '']

const sum = (entries: RequestLogEntry[]): number => entries.reduce((n, e) => n + e.bytes, 0)
const isFavicon = (e: RequestLogEntry): boolean => e.url === '/favicon.ico'

/** Visits VISIT in one tab of a fresh context; `after` runs once the first page is loaded. */
async function visit (browser: Browser, origin: Origin, after: (page: Page) => Promise<void> = async () => {}): Promise<Page> {
  const page = await (await visitor(browser)).newPage()
  await page.goto(origin.url)
  await after(page)
  for (const url of VISIT.slice(1)) {
    await page.goto(origin.url + url)
    const r = await rendered(page)
    assert.ok(r.images.every(i => i.width > 0), `${url || 'home'} has its images`)
  }
  return page
}

browserSuites(name => `${name}: a lone first visitor`, ({ test, name }) => {
  test('costs the origin at most 1.02 times the site bytes of the same visit without planktos, plus a fixed overhead', async ({ browser }) => {
    const plain = await plainSite(GALLERY.files)
    const tracker = await startTracker({ port: 0 })
    const site = await buildSite({ announce: [tracker.url] }, GALLERY.files)
    const without = await startOrigin(plain)
    const withPlanktos = await startOrigin(site)
    try {
      const baseline = await visit(browser, without)
      await baseline.context().close()

      const files = await siteFiles(site)
      const page = await visit(browser, withPlanktos, async (page) => {
        await installed(page)
        await controlled(page)
      })
      // The worker stores what it fetched after answering: wait for it, so late origin requests would be counted.
      const needed = new Set(VISIT.flatMap(url => pageFiles(files, url)))
      await until(page, 'every file to be stored', s => (s.worker?.stored ?? 0) >= needed.size)
      await page.context().close()

      const baseBytes = sum(without.log.filter(e => !isFavicon(e)))
      const siteLog = withPlanktos.log.filter(e => !isFavicon(e) && !isPlanktosFile(site.base, e.url))
      const ownLog = withPlanktos.log.filter(e => isPlanktosFile(site.base, e.url))
      const ratio = sum(siteLog) / baseBytes
      const kinds = new Map<string, RequestLogEntry[]>()
      for (const e of ownLog) {
        const kind = e.url.includes('/planktos/t/') ? 'torrents' : e.url.includes('/planktos/p/') ? 'parts' : e.url.endsWith('manifest.json') ? 'manifest' : e.url.slice(site.base.length)
        kinds.set(kind, [...kinds.get(kind) ?? [], e])
      }
      console.log(`  ${name}: site files ${sum(siteLog)} bytes in ${siteLog.length} requests with planktos, ${baseBytes} bytes in ` +
        `${without.log.filter(e => !isFavicon(e)).length} without (x${ratio.toFixed(4)}); planktos' own files: ${sum(ownLog)} bytes in ${ownLog.length} requests ` +
        `(${[...kinds].map(([k, list]) => `${k} ${sum(list)} B/${list.length}`).join(', ')})`)
      assert.ok(ratio <= 1.02, `site bytes with planktos / without: ${ratio.toFixed(4)}`)
      const twice = siteLog.filter(e => e.status === 200).map(e => e.url).filter((u, i, all) => all.indexOf(u) !== i)
      assert.equal(twice, [], 'no site file was downloaded twice')
    } finally {
      await without.close()
      await withPlanktos.close()
      await tracker.close()
      await plain.remove()
      await site.remove()
    }
  })
})
