// Deploys while visitors come back or keep pages open: the test site is rebuilt in place while its origin serves it.
// A returning visitor sees the new content within two navigations, fetching only what changed; files only the old
// build used are pruned; a page that stays open keeps its own build; `update: 'prompt'` waits for planktos.update().
import { createHash } from 'node:crypto'
import * as assert from 'uvu/assert'
import type { Page } from 'playwright-core'
import { startTracker } from '../integrations/cli/tracker.ts'
import { ALL_BROWSERS, connected, controlled, firstVisit, installed, pageFetch, startDownloader, stats, stay, stopWorkers, until, visitor, within } from './helpers/browsers.ts'
import { startProxy } from './helpers/proxy.ts'
import { browserState, redeploy, storeUntil, upgradeRuntime } from './helpers/redeploy.ts'
import { buildSite, isPlanktosFile, pageFiles, siteFiles, startOrigin, type Origin, type TestSite } from './helpers/site.ts'
import { browserSuites } from './helpers/suite.ts'

/** The worker looks for a new manifest at most this often on navigations (CHECK_INTERVAL in runtime/worker/site.ts). */
const CHECK_INTERVAL = 3_000

const sha = (data: string): string => createHash('sha256').update(data).digest('hex')

const aboutPage = (title: string): string => `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>About</title><link rel="stylesheet" href="../style.css"></head>
<body>
<h1 id="title">${title}</h1>
<p>Served by the origin, the store, or peers.</p>
<img id="logo" src="../img/logo.svg" alt="logo" width="64" height="64">
<img id="photo" src="../img/photo.svg" alt="photo" width="64" height="64">
</body>
</html>
`

/** Site files (not planktos' own) the origin served since log entry `from`: URL -> bytes. */
function siteFetches (origin: Origin, base: string, from: number): Array<{ url: string, bytes: number }> {
  return origin.log.slice(from)
    .filter(e => !isPlanktosFile(base, e.url) && e.url !== '/favicon.ico')
    .map(e => ({ url: e.url, bytes: e.bytes }))
}

/**
 * Navigates `page` to `url` until `#title` reads `title`, at most `max` times; returns how many it took. A navigation
 * that fails says what the origin served last (did the request reach it, did the new worker's script come?).
 */
async function navigationsUntil (page: Page, url: string, title: string, max: number, origin?: Origin): Promise<number> {
  for (let n = 1; n <= max; n++) {
    await page.goto(url).catch((e: Error) => {
      const last = origin?.log.slice(-12).map(r => `${r.url} ${r.status} ${r.bytes} B`).join(', ')
      throw new Error(`navigation ${n} to ${url}: ${e.message.split('\n')[0]}; the origin served last: ${last ?? '?'}`)
    })
    if (await page.textContent('#title') === title) return n
  }
  return Infinity
}

/** Watches `update` events from install time on (install.js is async: a page script could miss an early one). */
async function countUpdates (page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { updates: number }
    w.updates = 0
    Object.defineProperty(window, 'planktos', {
      configurable: true,
      set (p: EventTarget) {
        p.addEventListener('update', () => { w.updates++ })
        Object.defineProperty(window, 'planktos', { value: p, configurable: true, writable: true })
      }
    })
  })
}

const updates = (page: Page): Promise<number> => page.evaluate(() => (window as unknown as { updates: number }).updates)

browserSuites(name => `${name}: redeploys`, ({ test, name }) => {
  let site: TestSite | undefined
  let origin: Origin | undefined

  test.after.each(async () => {
    await origin?.close()
    await site?.remove()
    origin = site = undefined
  })

  test('a returning visitor sees each of two deploys within two navigations, fetching only the changed file', async ({ browser }) => {
    site = await buildSite()
    origin = await startOrigin(site)
    const files = await siteFiles(site)
    const page = await firstVisit(browser, origin.url)
    await page.goto(origin.url + 'about/')
    const visited = new Set([...pageFiles(files, ''), ...pageFiles(files, 'about/')])
    await until(page, 'both pages to be stored', s => (s.worker?.stored ?? 0) >= visited.size)
    const oldAbout = files.get('about/index.html')!.sha256

    let previous = oldAbout
    for (const [deploy, title] of [[2, 'About, second deploy'], [3, 'About, third deploy']] as const) {
      const mark = origin.log.length
      await redeploy(site, { 'about/index.html': aboutPage(title) })
      const now = await siteFiles(site)
      const changed = now.get('about/index.html')!.sha256
      // A visitor coming back later than the worker's last look at the manifest.
      await page.waitForTimeout(CHECK_INTERVAL)
      const navigations = await navigationsUntil(page, origin.url + 'about/', title, 2, origin)
      assert.ok(navigations <= 2, `deploy ${deploy}: the new page showed after ${navigations} navigations`)
      // The page's other files are unchanged: they come from the store, only the page itself from the origin.
      const fetched = siteFetches(origin, site.base, mark)
      assert.equal([...new Set(fetched.map(f => f.url))], ['/about/'], `deploy ${deploy}: site files fetched again`)
      const total = [...now.values()].reduce((n, f) => n + f.size, 0)
      const refetched = fetched.reduce((n, f) => n + f.bytes, 0)
      const planktos = origin.log.slice(mark).filter(e => isPlanktosFile(site!.base, e.url)).reduce((n, e) => n + e.bytes, 0)
      console.log(`  ${name}, deploy ${deploy}: new content after ${navigations} navigation(s); site bytes fetched again ${refetched} of ${total}; planktos files ${planktos} bytes`)
      const kept = [...visited].filter(p => p !== 'about/index.html').map(p => now.get(p)!.sha256)
      await storeUntil(page, `deploy ${deploy}: the old page to be pruned`, shas => !shas.has(previous) && shas.has(changed) && kept.every(k => shas.has(k)))
      previous = changed
    }
  })

  test("a returning visitor's first look at a page the deploy changed, never stored: the new page, fetched once", async ({ browser }) => {
    site = await buildSite()
    origin = await startOrigin(site)
    const proxy = await startProxy(origin)
    try {
      const page = await firstVisit(browser, proxy.url)
      // The visitor stays on the front page: the worker stores it, and the file list that also names about/.
      await stay(page)
      const files = await siteFiles(site)
      await until(page, 'the front page to be stored', s => (s.worker?.stored ?? 0) >= pageFiles(files, '').length)
      await redeploy(site, { 'about/index.html': aboutPage('About, second deploy') })
      await page.waitForTimeout(CHECK_INTERVAL)
      const mark = origin.log.length
      // The worker answers from the build it knows and looks for a deploy meanwhile. The origin answers the page half
      // a second after the worker asked for the manifest, by when it has the new one: the bytes are then the new
      // deploy's page, which the old build must not show, and the navigation is answered from the new build, with
      // those bytes. (Had the worker not adopted the new manifest by then, it would pass the origin's page on as it
      // came, fetched once too: this case fails only when a second fetch happens.)
      proxy.handler = async (req) => {
        if (!req.url?.endsWith('/about/')) return false
        const manifest = (): boolean => origin!.log.slice(mark).some(e => e.url.endsWith('manifest.json'))
        await within((async () => { while (!manifest()) await page.waitForTimeout(20) })(), 'the worker to fetch the manifest', 10_000)
        await page.waitForTimeout(500)
        return false
      }
      await page.goto(proxy.url + 'about/')
      assert.is(await page.textContent('#title'), 'About, second deploy')
      const fetched = origin.log.slice(mark).filter(e => e.url.endsWith('/about/'))
      assert.is(fetched.length, 1, `the page was fetched ${fetched.length} times`)
    } finally {
      await proxy.close()
    }
  })

  // A visitor coming back a day later meets a worker the browser has stopped: it knows only the old build, from its
  // store, and looks for a deploy as the navigation comes. Stopping a worker on demand needs CDP: Chromium only.
  if (name === 'chromium') test("a returning visitor's first navigation after a deploy, to a page it never stored, gets the new page", async ({ browser }) => {
    site = await buildSite()
    origin = await startOrigin(site)
    const proxy = await startProxy(origin)
    try {
      const page = await firstVisit(browser, proxy.url)
      await redeploy(site, { 'about/index.html': aboutPage('About, second deploy') })
      await stopWorkers(page)
      // The page reaches the worker once the new manifest was served and the worker adopted it: the worker had
      // answered the navigation from the old build, met the new page's bytes, and given the visitor a 503 "reload
      // the page".
      const mark = origin.log.length
      const served = (path: string): boolean => origin!.log.slice(mark).some(e => e.url.endsWith(path))
      const adopted = async (): Promise<void> => {
        while (!served('manifest.json')) await page.waitForTimeout(20)
        // The adoption starts as the manifest arrives and is one store write. Nothing the origin sees marks its end:
        // the worker asks for its new script only once a page says hello (site.ts askUpdate), and this page is held.
        // Holding it much longer would only turn into a 502.
        await page.waitForTimeout(3_000)
      }
      let workerAsked = false
      proxy.handler = async (req) => {
        // Only the worker's own requests for the page are held. A worker that forwards the navigation itself, or
        // Chromium sending it to the network right after a forced stop, asks in mode navigate: that request passes,
        // and the case is tried again.
        if (req.url?.endsWith('/about/') && req.headers['sec-fetch-mode'] !== 'navigate') {
          workerAsked = true
          await within(adopted(), 'the worker to look for a deploy', 10_000)
        }
        return false
      }
      let res = await page.goto(proxy.url + 'about/')
      for (let tries = 1; !workerAsked && tries < 5; tries++) {
        await stopWorkers(page)
        res = await page.goto(proxy.url + 'about/')
      }
      assert.ok(workerAsked, 'the worker answered one of five navigations')
      assert.is(res?.status(), 200)
      assert.is(await page.textContent('#title'), 'About, second deploy')
      // The page is the new build's: its own requests are answered from it.
      await installed(page)
      assert.is((await pageFetch(page, proxy.url + 'about/')).status, 200, 'the page\'s own requests get its build')
    } finally {
      await proxy.close()
    }
  })

  test("a deploy of another planktos version reaches a returning visitor's pages within two navigations", async ({ browser }) => {
    site = await buildSite()
    origin = await startOrigin(site)
    const page = await firstVisit(browser, origin.url)
    await page.goto(origin.url + 'about/')
    await installed(page)
    const upgraded = (): Promise<boolean> => page.evaluate(() => (window as unknown as { planktosUpgraded?: boolean }).planktosUpgraded === true)
    assert.is(await upgraded(), false)
    await upgradeRuntime(site, '\n;window.planktosUpgraded = true\n')
    let navigations = 0
    while (navigations < 2 && !await upgraded()) {
      await page.goto(origin.url + (navigations % 2 ? 'about/' : ''))
      await installed(page)
      navigations++
    }
    assert.ok(await upgraded(), `the new install.js ran after ${navigations} navigations`)
  })

  test('an open page keeps its own build after a deploy; the old files go once it closes', async ({ browser }) => {
    site = await buildSite({}, { 'notes/b.txt': 'b, first deploy\n', 'notes/c.txt': 'c, first deploy\n' })
    origin = await startOrigin(site)
    const old = await siteFiles(site)
    const open = await firstVisit(browser, origin.url)
    // The open page reads one file before the deploy (so it is stored) and another only after.
    assert.is((await pageFetch(open, origin.url + 'notes/b.txt')).text, 'b, first deploy\n')
    await stay(open)
    await until(open, 'the first files to be stored', s => (s.worker?.stored ?? 0) >= pageFiles(old, '').length + 1)
    // The count may include other files stored first: wait for this one itself.
    await storeUntil(open, 'notes/b.txt to be stored', shas => shas.has(sha('b, first deploy\n')))
    const returning = await open.context().newPage()
    await returning.goto(origin.url)

    await redeploy(site, { 'notes/b.txt': 'b, second deploy\n', 'notes/c.txt': 'c, second deploy\n' })
    await returning.waitForTimeout(CHECK_INTERVAL)
    await returning.goto(origin.url + 'about/')
    await returning.goto(origin.url)
    await installed(returning)
    assert.is((await pageFetch(returning, origin.url + 'notes/b.txt')).text, 'b, second deploy\n', 'a new page gets the new deploy')

    const b = await pageFetch(open, origin.url + 'notes/b.txt')
    assert.equal([b.status, b.text, b.source], [200, 'b, first deploy\n', 'store'], 'the open page gets its own build\'s bytes from the store')
    // The origin only has the new bytes, no store or peer has the old ones: the open page must not get the new.
    const c = await pageFetch(open, origin.url + 'notes/c.txt')
    assert.is(c.status, 503, 'a changed file nobody holds fails for the old page')
    assert.not.ok(c.text.includes('second deploy'), 'the old page never gets the new deploy\'s file')
    assert.ok((await storeUntil(open, 'the old file to be kept while its page is open', shas => shas.has(sha('b, first deploy\n')))).size)

    await open.close()
    // The next page load tells the worker the old page is gone.
    await returning.reload()
    await storeUntil(returning, 'the old build\'s file to be pruned', shas => !shas.has(sha('b, first deploy\n')) && shas.has(sha('b, second deploy\n')))
  })

  // Peers, and a script run before the page's own (addInitScript): WebKit here has neither (no WebRTC, WebDriver).
  if (name !== 'webkit') test("an open page gets a changed file of its own build from a peer that still holds it, not the origin's new one", async ({ browser }) => {
    const tracker = await startTracker({ port: 0 })
    // Long enough that the origin hedge never starts while peers are working: this is about the peer path.
    const options = { announce: [tracker.url], peerTimeout: 15_000 }
    site = await buildSite(options, { 'notes/c.txt': 'c, first deploy\n' })
    origin = await startOrigin(site)
    try {
      // B read every file before the deploy and keeps a page open: it seeds the old build's shard, whole.
      const B = await firstVisit(browser, origin.url)
      await B.goto(origin.url + 'about/')
      for (const path of ['notes/a.txt', 'notes/plain%20text%20%C3%A9.txt']) await pageFetch(B, origin.url + path)
      assert.is((await pageFetch(B, origin.url + 'notes/c.txt')).text, 'c, first deploy\n')
      await until(B, 'B to store every file', s => (s.worker?.stored ?? 0) >= 8)
      await B.goto(origin.url)
      await installed(B)
      await startDownloader(B)
      // A has a page of the first build open, whose downloader finds B.
      const open = await firstVisit(browser, origin.url)
      await startDownloader(open)
      await connected(open, 'A to connect to B')

      await redeploy(site, { 'notes/c.txt': 'c, second deploy\n' }, options)
      // A's other tab navigates, so A's worker knows the new deploy.
      const other = await open.context().newPage()
      await other.waitForTimeout(CHECK_INTERVAL)
      await other.goto(origin.url + 'about/')
      await other.goto(origin.url)
      await installed(other)
      assert.is((await pageFetch(other, origin.url + 'notes/c.txt')).text, 'c, second deploy\n', 'the new page gets the new deploy')

      const mark = origin.log.length
      const c = await pageFetch(open, origin.url + 'notes/c.txt')
      if (c.source !== 'peers') {
        // What the page and its worker saw, for a failure that happens about once in fifty runs.
        const w = (await stats(open)).worker
        const control = await open.evaluate(() => navigator.serviceWorker.controller?.state ?? 'none')
        console.log(`  ${name}: the open page got ${c.status} ${JSON.stringify(c.text)} from ${c.source}; its controller ${control}; worker responses ${JSON.stringify(w?.responses)}, passed ${w?.passed}; the origin served since: ${origin.log.slice(mark).map(e => `${e.url} ${e.status}`).join(', ')}`)
      }
      assert.equal([c.status, c.text, c.source], [200, 'c, first deploy\n', 'peers'], 'the open page gets its own build\'s bytes from B')
      assert.not.ok(origin.log.slice(mark).some(e => e.url === '/notes/c.txt'), 'the origin was not asked for the file')
      await B.context().close()
      await open.context().close()
    } finally {
      await tracker.close()
    }
  })

  if (name !== 'webkit') test("with update: 'prompt', the new deploy waits for planktos.update() and the page hears of it", async ({ browser }) => {
    site = await buildSite({ update: 'prompt' })
    origin = await startOrigin(site)
    const page = await (await visitor(browser)).newPage()
    await countUpdates(page)
    await page.goto(origin.url)
    await installed(page)
    await controlled(page)
    await page.goto(origin.url + 'about/')
    assert.is(await page.textContent('#title'), 'About this site')
    // The old build can only be served from what the visitor holds: the origin has only the new one.
    await until(page, 'both pages to be stored', s => (s.worker?.stored ?? 0) >= 5)

    await redeploy(site, { 'about/index.html': aboutPage('About, second deploy') }, { update: 'prompt' })
    await page.waitForTimeout(CHECK_INTERVAL)
    await page.goto(origin.url + 'about/')
    await within((async () => { while (await updates(page) === 0) await page.waitForTimeout(100) })(), 'the update event')
    for (let i = 0; i < 2; i++) {
      await page.reload()
      assert.is(await page.textContent('#title'), 'About this site', 'the old deploy stays while the new one waits')
    }
    await installed(page)
    await within((async () => { while (await updates(page) === 0) await page.waitForTimeout(100) })(), 'the update event on a page opened while a deploy waits')
    const took = await within(page.evaluate(() => (window as unknown as { planktos: { update (): Promise<boolean> } }).planktos.update()), 'planktos.update()')
    assert.is(took, true)
    await page.reload()
    assert.is(await page.textContent('#title'), 'About, second deploy', 'after update() and a reload, the new deploy shows')
    const state = await browserState(page)
    assert.is(state.workers.length, 1)
  })
}, ALL_BROWSERS)
