// What the visitor's browser allows: with service workers blocked or missing the site works exactly as without
// planktos; with a small `maxStorage` the oldest files are evicted and every page still loads; with `persist` the
// downloader asks for persistent storage.
import * as assert from 'uvu/assert'
import type { Page } from 'playwright-core'
import { ALL_BROWSERS, controlled, firstVisit, HANG, installed, startDownloader, stay, until, visitor, within } from './helpers/browsers.ts'
import { buildSite, gallery, pageFiles, siteFiles, startOrigin, type Origin, type TestSite } from './helpers/site.ts'
import { browserSuites, renderCheck } from './helpers/suite.ts'

const GALLERY = gallery(4)
const PAGES = ['', 'about/', ...GALLERY.pages.map(p => p.url)]
const assertRendered = renderCheck(GALLERY)

/** The visitor's stored files as planktos' store records them: SHA-256 -> bytes held. */
function storedFiles (page: Page): Promise<Record<string, number>> {
  return within(page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('planktos:/')
      req.onsuccess = () => resolve(req.result)
      req.onerror = () => reject(req.error)
    })
    const records = await new Promise<Array<{ sha256: string, bytes: number }>>(resolve => {
      const r = db.transaction('files').objectStore('files').getAll()
      r.onsuccess = () => resolve(r.result)
    })
    db.close()
    return Object.fromEntries(records.map(r => [r.sha256, r.bytes]))
  }), 'the store to be read')
}

browserSuites(name => `${name}: the visitor's browser`, ({ test, name }) => {
  let site: TestSite | undefined
  let origin: Origin | undefined

  test.after.each(async () => {
    await origin?.close()
    await site?.remove()
    origin = site = undefined
  })

  for (const [how, options] of [
    ['blocked', { serviceWorkers: 'block' }],
    ['missing', {}]
  ] as const) {
    test(`with service workers ${how}, every page works as without planktos`, async ({ browser }) => {
      site = await buildSite({}, GALLERY.files)
      origin = await startOrigin(site)
      const files = await siteFiles(site)
      const context = await browser.newContext(options)
      context.setDefaultTimeout(HANG)
      if (how === 'missing') await context.addInitScript(() => { delete (Navigator.prototype as { serviceWorker?: unknown }).serviceWorker })
      try {
        const page = await context.newPage()
        const errors: Error[] = []
        page.on('pageerror', e => errors.push(e))
        for (const url of PAGES) {
          const res = await page.goto(origin.url + url)
          assert.is(res?.status(), 200)
          assert.is(res?.headers()['x-planktos-source'], undefined, 'the origin answered, not a worker')
          await assertRendered(page, files, url)
          await installed(page)
          assert.is(await page.evaluate(() => (window as unknown as { planktos: { ready: Promise<boolean> } }).planktos.ready), false, 'planktos says it is not running')
        }
        assert.equal(errors.map(e => e.message), [], 'no script error')
        assert.ok(!origin.log.some(e => e.url === '/planktos/downloader.js'), 'the downloader was not even loaded')
      } finally {
        await context.close()
      }
    })
  }

  test('with a small maxStorage, the oldest files are evicted and every page still loads', async ({ browser }) => {
    // Room for about two gallery pages' images (each is 27,702 bytes).
    const maxStorage = 120_000
    site = await buildSite({ maxStorage }, GALLERY.files)
    origin = await startOrigin(site)
    const files = await siteFiles(site)
    const page = await firstVisit(browser, origin.url)
    const seen = new Set(pageFiles(files, ''))
    await stay(page)
    await until(page, 'the first page to be stored', s => (s.worker?.stored ?? 0) >= seen.size)
    for (const url of PAGES.slice(1)) {
      await page.goto(origin.url + url)
      await assertRendered(page, files, url)
      for (const path of pageFiles(files, url)) seen.add(path)
      await until(page, `${url} to be stored`, s => (s.worker?.stored ?? 0) >= seen.size)
    }
    const held = await storedFiles(page)
    const total = Object.values(held).reduce((n, b) => n + b, 0)
    assert.ok(total <= maxStorage, `${total} bytes stored, budget ${maxStorage}`)
    const first = GALLERY.pages[0]!
    assert.not.ok(files.get(first.images[0]!)!.sha256 in held, 'the first gallery page\'s images were evicted')
    const last = GALLERY.pages[GALLERY.pages.length - 1]!
    assert.ok(files.get(last.images[0]!)!.sha256 in held, 'the last page\'s images are kept')
    // An evicted page comes back from the origin, whole.
    const mark = origin.log.length
    await page.goto(origin.url + first.url)
    await assertRendered(page, files, first.url)
    assert.ok(origin.log.slice(mark).some(e => e.url === '/' + first.images[0]), 'its images came from the origin again')
  })

  // The downloader asks for persistent storage, and a browser without WebRTC (WebKit here) does not run it; nor has
  // WebKitGTK a navigator.storage (its StorageAPI feature is off): these two run in Chromium and Firefox only.
  if (name !== 'webkit') for (const persist of [true, false]) {
    test(`with persist ${persist ? 'on' : 'off'}, the downloader ${persist ? 'asks' : 'does not ask'} for persistent storage`, async ({ browser }) => {
      site = await buildSite({ persist })
      origin = await startOrigin(site)
      const context = await visitor(browser)
      try {
        // Counted before any script of the site runs; the answer is "not yet persisted", so asking is due.
        await context.addInitScript(() => {
          const w = window as unknown as { persistCalls: number }
          w.persistCalls = 0
          StorageManager.prototype.persisted = () => Promise.resolve(false)
          StorageManager.prototype.persist = () => { w.persistCalls++; return Promise.resolve(true) }
        })
        const page = await context.newPage()
        await page.goto(origin.url)
        await installed(page)
        await controlled(page)
        await startDownloader(page)
        await until(page, 'the downloader to run', s => s.downloader !== undefined)
        assert.is(await page.evaluate(() => (window as unknown as { persistCalls: number }).persistCalls), persist ? 1 : 0)
      } finally {
        await context.close()
      }
    })
  }
}, ALL_BROWSERS)
