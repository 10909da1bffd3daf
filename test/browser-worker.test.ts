// The worker in real browsers, one visitor at a time: install, control, the store -> origin path, offline
// reloads, and the requests it must leave alone. Each test starts its own origin (a new port is a new
// origin, so a fresh worker and store) and its own browser context.
import { createHash } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as assert from 'uvu/assert'
import { ALL_BROWSERS, assertNavigation, fetchHash, firstVisit, imagesLoaded, installed, pageFetch, startDownloader, stats, stay, until, within } from './helpers/browsers.ts'
import { storedKeys } from './helpers/redeploy.ts'
import { blob, buildSite, pageFiles, siteFiles, startOrigin, type Origin, type TestSite } from './helpers/site.ts'
import { browserSuites } from './helpers/suite.ts'

const BLOB = blob(300_000)
const BLOB_SHA = createHash('sha256').update(BLOB).digest('hex')

let site: TestSite

/** Site files the origin served (planktos' own files, the worker script and favicons left out). */
function siteRequests (origin: Origin, from = 0): string[] {
  return origin.log.slice(from)
    .filter(e => !e.url.startsWith('/planktos/') && e.url !== '/planktos-sw.js' && e.url !== '/favicon.ico')
    .map(e => `${e.method} ${e.url}`)
}

browserSuites(name => `${name}: one visitor`, ({ test, name }) => {
  let origin: Origin | undefined

  test.before(async (ctx) => {
    site ??= await buildSite({}, { 'data/blob.bin': BLOB })
  })
  test.after.each(async () => {
    await origin?.close()
    origin = undefined
  })

  test('a first visit registers the worker and the page works as it does without planktos', async ({ browser }) => {
    origin = await startOrigin(site)
    const page = await firstVisit(browser, origin.url)
    assert.is(await page.textContent('#title'), 'Planktos test site')
    assert.ok(await imagesLoaded(page))
    assert.is(await page.evaluate(() => (window as unknown as { planktos: { ready: Promise<boolean> } }).planktos.ready), true)
    const worker = (await stats(page)).worker
    assert.ok(worker, 'the worker answers stats requests')
    assert.equal(worker!.responses, { store: 0, peers: 0, origin: 0 }, 'nothing controlled the first page')
  })

  test("the first page's files are stored from the HTTP cache, not downloaded again", async ({ browser }) => {
    origin = await startOrigin(site)
    const page = await firstVisit(browser, origin.url)
    await stay(page)
    await until(page, 'the first page\'s files to be stored', s => (s.worker?.stored ?? 0) >= 3)
    const twice = siteRequests(origin).filter((r, i, all) => all.indexOf(r) !== i)
    assert.equal(twice, [], 'no site file was requested twice')
    const css = await pageFetch(page, origin.url + 'style.css')
    assert.is(css.source, 'store')
  })

  test('once the worker controls the page, other pages load through it and then from the store', async ({ browser }) => {
    origin = await startOrigin(site)
    const page = await firstVisit(browser, origin.url)
    const mark = origin.log.length
    const about = await page.goto(origin.url + 'about/')
    assertNavigation(about, { source: 'origin' }, 'the new page')
    assert.ok(origin.log.slice(mark).some(e => e.url === '/about/'), 'the origin sent the new page')
    assert.is(await page.textContent('#title'), 'About this site')
    assert.ok(await imagesLoaded(page))
    await until(page, 'the new page to be stored', s => (s.worker?.stored ?? 0) >= 5)
    const before = origin.log.length
    const again = await page.reload()
    assertNavigation(again, { source: 'store' }, 'the reload')
    assert.ok(await imagesLoaded(page))
    assert.equal(siteRequests(origin, before), [], 'the reload asked the origin for no site file')
    const worker = (await stats(page)).worker!
    assert.ok(worker.responses.store >= 3, `store responses: ${worker.responses.store}`)
    assert.is(worker.verifyFailures, 0)
  })

  test("planktos' own scripts come from the worker's copies, which match this deploy: pages load them without a round trip", async ({ browser }) => {
    origin = await startOrigin(site)
    const page = await firstVisit(browser, origin.url)
    await startDownloader(page)
    await within((async () => {
      while ((await storedKeys(page, 'meta')).filter(k => k.startsWith('runtime:')).length < 2) await page.waitForTimeout(100)
    })(), 'the worker to keep install.js and downloader.js')
    const mark = origin.log.length
    for (const path of ['about/', '']) {
      const res = await page.goto(origin.url + path)
      assertNavigation(res, { source: true }, path || 'home')
      await installed(page)
      await startDownloader(page)
    }
    // downloader.js never goes to the origin again; install.js is looked at in the background only (a kill switch
    // replaces it), so both reach the pages from the worker's copies.
    const scripts = origin.log.slice(mark).map(e => e.url).filter(u => u === '/planktos/downloader.js')
    assert.equal(scripts, [], 'downloader.js was not asked of the origin')
    for (const file of ['install.js', 'downloader.js']) {
      assert.is((await pageFetch(page, origin.url + 'planktos/' + file)).source, 'store', file)
    }
  })

  test('a multi-piece binary file arrives intact from the origin, then from the store', async ({ browser }) => {
    origin = await startOrigin(site)
    const page = await firstVisit(browser, origin.url)
    assert.equal(await fetchHash(page, origin.url + 'data/blob.bin'), { sha: BLOB_SHA, source: 'origin' })
    await until(page, 'the file to be stored', s => (s.worker?.stored ?? 0) >= 4)
    assert.equal(await fetchHash(page, origin.url + 'data/blob.bin'), { sha: BLOB_SHA, source: 'store' })
  })

  test('with the origin down, visited pages reload from the store and nothing hangs', async ({ browser }) => {
    origin = await startOrigin(site)
    const page = await firstVisit(browser, origin.url)
    await page.goto(origin.url + 'about/')
    await until(page, 'both pages to be stored', s => (s.worker?.stored ?? 0) >= 5)
    await origin.close()
    for (const path of ['about/', '']) {
      await page.goto(origin.url + path)
      assert.ok((await page.textContent('#title'))?.length, `${path || 'home'} has its title`)
      assert.ok(await imagesLoaded(page), `${path || 'home'} has its images`)
    }
    // Never visited, so not stored, and no origin: the request must fail, not hang.
    const failed = await page.evaluate(url => fetch(url).then(() => false, () => true), origin.url + 'notes/a.txt')
    assert.ok(failed)
  })

  test('origin bytes that do not match the manifest reach the page unstored, and the manifest is re-read', async ({ browser }) => {
    const changed = await buildSite()
    const own = await startOrigin(changed)
    try {
      const page = await firstVisit(browser, own.url)
      // A deploy happens mid-visit: the file changes, the visitor's manifest does not.
      await writeFile(join(changed.dir, 'notes', 'a.txt'), 'new deploy\n')
      const manifestReads = own.requests('planktos/manifest.json').length
      const first = await pageFetch(page, own.url + 'notes/a.txt')
      assert.equal([first.status, first.text], [200, 'new deploy\n'], 'the page gets what the origin sent')
      const s = (await stats(page)).worker!
      assert.is(s.verifyFailures, 1)
      await within((async () => {
        while (own.requests('planktos/manifest.json').length === manifestReads) await page.waitForTimeout(50)
      })(), 'the worker to re-read the manifest')
      const second = await pageFetch(page, own.url + 'notes/a.txt')
      assert.is(second.text, 'new deploy\n', 'nothing stale was stored')
    } finally {
      await own.close()
      await changed.remove()
    }
  })

  // Where no page can have peers (WebKit here), the downloader joins no shard at all (browser-webkit.test.ts).
  if (name !== 'webkit') test('the downloader joins only the shards of files the visitor holds or asks for', async ({ browser }) => {
    // One shard per file at the smallest shard size: the site has many, the home page needs three.
    const sharded = await buildSite({ shardSize: '64KiB' }, { 'data/blob.bin': BLOB })
    const own = await startOrigin(sharded)
    try {
      const files = await siteFiles(sharded)
      const home = new Set(pageFiles(files, '').map(p => files.get(p)!.infoHash))
      assert.ok(sharded.manifest.shards.length > home.size + 1, `${sharded.manifest.shards.length} shards`)
      const page = await firstVisit(browser, own.url)
      await startDownloader(page)
      await until(page, 'the home page\'s shards to be joined', s => s.downloader?.torrents === home.size)
      assert.equal(await fetchHash(page, own.url + 'data/blob.bin'), { sha: BLOB_SHA, source: 'origin' })
      await until(page, 'the large file\'s shard to be joined too', s => s.downloader?.torrents === home.size + 1)
      await page.context().close()
    } finally {
      await own.close()
      await sharded.remove()
    }
  })

  test('unknown query strings, other methods and other origins go to the network untouched', async ({ browser }) => {
    origin = await startOrigin(site)
    const other = await startOrigin(site)
    try {
      const page = await firstVisit(browser, origin.url)
      const passedBefore = (await stats(page)).worker!.passed

      const query = await pageFetch(page, origin.url + 'notes/a.txt?v=2')
      assert.equal([query.status, query.source, query.text], [200, null, 'plain text a\n'])
      assert.ok(origin.log.some(e => e.url === '/notes/a.txt?v=2'), 'the origin saw the query string')

      const ignored = await pageFetch(page, origin.url + 'notes/a.txt?utm_source=test')
      assert.is(ignored.source, 'origin', 'an ignored parameter still reaches the worker')

      const post = await pageFetch(page, origin.url, { method: 'POST' })
      assert.is(post.status, 405, "the origin's own answer")
      assert.ok(origin.log.some(e => e.method === 'POST'))

      const cross = await pageFetch(page, other.url + 'notes/a.txt', { mode: 'no-cors' })
      assert.is(cross.source, null)
      assert.ok(other.log.some(e => e.url === '/notes/a.txt'), 'the other origin got the request')

      const worker = (await stats(page)).worker!
      assert.ok(worker.passed >= passedBefore + 1, 'the query-string request was counted as passed through')
    } finally {
      await other.close()
    }
  })
}, ALL_BROWSERS)

// uvu runs the suites queued above; the built site is removed at exit.
process.once('beforeExit', () => { void site?.remove() })
