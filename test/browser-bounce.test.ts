// A visitor who opens one page and leaves (about half of all visits): planktos' own files it costs the origin are the
// install script, the worker and the manifest, never the downloader, a torrent or a shard's part, which only a visitor
// who reads on can pay back (docs/engine.md). Where there is no WebRTC (WebKit here) the first page's files are stored
// at once, which takes its part: the store is what keeps the page readable with the origin down. Sizes and ratios
// live in `npm run bench bill`.
import * as assert from 'uvu/assert'
import type { Browser, Page } from 'playwright-core'
import { startTracker } from '../integrations/cli/tracker.ts'
import { ALL_BROWSERS, controlled, installed, stats, until, visitor, within } from './helpers/browsers.ts'
import { buildSite, gallery, isPlanktosFile, pageFiles, siteFiles, startOrigin } from './helpers/site.ts'
import { storeUntil } from './helpers/redeploy.ts'
import { browserSuites } from './helpers/suite.ts'
import { WAKE_FROM } from '../runtime/worker/peers-help.ts'

const GALLERY = gallery(2)

/** What a logged planktos URL is, by kind. */
function kind (base: string, url: string): string {
  if (url.includes('/planktos/t/')) return 'torrent'
  if (url.includes('/planktos/p/')) return 'part'
  return url.slice(base.length)
}

/** The URLs the worker noted as loaded by the first page and not stored yet (its store's meta `seen`). */
function noted (page: Page): Promise<string[]> {
  return within(page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('planktos:/')
      req.onsuccess = () => resolve(req.result)
      req.onerror = () => reject(req.error)
    })
    const get = db.transaction('meta').objectStore('meta').get('seen')
    const note = await new Promise<{ urls: string[] } | undefined>(resolve => { get.onsuccess = () => resolve(get.result as { urls: string[] } | undefined) })
    db.close()
    return note?.urls ?? []
  }), "the worker's note of the first page's files")
}

browserSuites(name => `${name}: a visitor who reads one page and leaves`, ({ test, name, own, ownSite }) => {
  // WebKit here has no WebRTC.
  const peers = name !== 'webkit'

  /** A first visitor on the gallery site (and `more` files), once the worker controls its first page. */
  async function firstPage (browser: Browser, more: Record<string, string> = {}) {
    const tracker = own(await startTracker({ port: 0 }))
    const site = ownSite(await buildSite({ announce: [tracker.url] }, { ...GALLERY.files, ...more }))
    const origin = own(await startOrigin(site))
    const files = await siteFiles(site)
    const page = await (own(await visitor(browser))).newPage()
    await page.goto(origin.url)
    await installed(page)
    await controlled(page)
    return { tracker, site, origin, files, page }
  }

  test(`costs the origin install.js, the worker and the manifest${peers ? '' : ' and one part'}: no downloader, no torrent`, async ({ browser }) => {
    const { tracker, site, origin, files, page } = await firstPage(browser)
    const first = pageFiles(files, '')
    if (peers) {
      // The worker noted what the page loaded (the page said so right after it was controlled) and stored none of it.
      await within((async () => { while (!(await noted(page)).some(u => u.endsWith('style.css'))) await page.waitForTimeout(50) })(), 'the first page\'s files to be noted')
      assert.is((await stats(page)).worker?.stored, 0, 'nothing is stored for a visitor who may leave')
    } else {
      // Stored at once, which needed the part.
      await until(page, "the first page's files to be stored", s => (s.worker?.stored ?? 0) >= first.length)
    }
    // The page has been idle since: the moment a downloader started at idle would already have run. (WebKit has no
    // requestIdleCallback, and without WebRTC no downloader starts at all.)
    if (peers) await within(page.evaluate(() => new Promise(resolve => requestIdleCallback(() => requestIdleCallback(resolve)))), 'the page to be idle')
    assert.not.ok((await stats(page)).downloader, 'no downloader runs on the page')
    const ownFiles = origin.log.filter(e => isPlanktosFile(site.base, e.url)).map(e => kind(site.base, e.url)).sort()
    assert.equal(ownFiles, [...peers ? [] : ['part'], 'planktos-sw.js', 'planktos/install.js', 'planktos/manifest.json'])
    assert.is(tracker.announces().size, 0, 'the tracker never heard of this visitor')
    if (!peers) return
    // The visitor reads on: the first page's files are stored then, from the HTTP cache.
    await page.goto(origin.url + GALLERY.pages[0]!.url)
    const front = files.get('index.html')!.sha256
    await storeUntil(page, 'the first page to be stored', shas => shas.has(front))
    assert.equal(await noted(page), [], 'nothing is left noted')
    assert.is(origin.log.filter(e => e.url === site.base).length, 1, 'the first page came from the HTTP cache, not the origin again')
  })

  test(`a script the page asks for after the worker claimed it: ${peers ? 'left to the origin and noted, no part (stored once the visitor reads on)' : 'stored at once'}`, async ({ browser }) => {
    const { site, origin, files, page } = await firstPage(browser, { 'late.js': 'document.title = "late"\n' })
    assert.ok(site.manifest.shards.every(s => (s.largest ?? Infinity) < WAKE_FROM), 'no file of the site is large enough to start a downloader')
    // As Starlight's late scripts come when the worker claims the page before they are asked for.
    await within(page.evaluate(() => new Promise((resolve, reject) => {
      const script = document.createElement('script')
      script.src = 'late.js'
      script.onload = resolve
      script.onerror = reject
      document.head.append(script)
    })), 'the late script to run')
    assert.is(await page.evaluate(() => document.title), 'late', 'the late script ran')
    assert.is(origin.log.filter(e => e.url === site.base + 'late.js').length, 1, 'the late script came from the origin once')
    const late = files.get('late.js')!.sha256
    if (!peers) {
      await storeUntil(page, 'the late script to be stored', shas => shas.has(late))
      return
    }
    await within((async () => { while (!(await noted(page)).some(u => u.endsWith('/late.js'))) await page.waitForTimeout(50) })(), 'the late script to be noted')
    const ownFiles = origin.log.filter(e => isPlanktosFile(site.base, e.url)).map(e => kind(site.base, e.url)).sort()
    assert.equal(ownFiles, ['planktos-sw.js', 'planktos/install.js', 'planktos/manifest.json'], 'no part')
    await page.goto(origin.url + GALLERY.pages[0]!.url)
    await storeUntil(page, 'the late script to be stored', shas => shas.has(late))
    assert.is(origin.log.filter(e => e.url === site.base + 'late.js').length, 1, 'stored from the HTTP cache, not fetched again')
  })
}, ALL_BROWSERS)
