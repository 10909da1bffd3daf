// No request ever hangs, for one visitor: without peers and with a tracker that never answers, with no open tab
// to ask, with a downloader whose script fails to load or that stops answering, and (Chromium, through CDP) with the
// worker stopped by the browser mid-visit. Every page still loads, from the origin when nothing else can serve it.
import { rm } from 'node:fs/promises'
import { createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import * as assert from 'uvu/assert'
import type { Browser, Page } from 'playwright-core'
import { startTracker } from '../integrations/cli/tracker.ts'
import type { FileEntry } from '../runtime/shared/manifest.ts'
import { ALL_BROWSERS, firstVisit, installed, pendingRequests, stats, stay, until, within } from './helpers/browsers.ts'
import { buildSite, gallery, siteFiles, startOrigin, type Origin } from './helpers/site.ts'
import { browserSuites, renderCheck } from './helpers/suite.ts'

const GALLERY = gallery(3)
const assertRendered = renderCheck(GALLERY)

/** A tracker that accepts connections and never says a word: the worst kind of dead. */
async function deadTracker (): Promise<{ url: string, close (): Promise<void> }> {
  const sockets: Socket[] = []
  const server: Server = createServer(socket => { sockets.push(socket) })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    url: `ws://127.0.0.1:${port}`,
    close: () => new Promise<void>(resolve => {
      for (const s of sockets) s.destroy()
      server.close(() => resolve())
    })
  }
}

/** Waits until none of the requests `page` made is pending. */
async function settled (page: Page, pending: () => string[]): Promise<void> {
  await within((async () => {
    while (pending().length) await page.waitForTimeout(50)
  })(), 'every request to finish').catch(() => assert.equal(pending(), [], 'no request stays pending'))
}

/** Browses every page after the first; each must render, come from `source`, and leave no request pending. */
async function browse (page: Page, origin: Origin, files: Map<string, FileEntry>, source: string): Promise<void> {
  const all = pendingRequests(page)
  // The site's requests; a WebSocket to a dead tracker stays pending by nature, and is the downloader's business.
  const pending = (): string[] => all().filter(url => url.startsWith(origin.url))
  for (const url of ['about/', ...GALLERY.pages.map(p => p.url)]) {
    const res = await page.goto(origin.url + url)
    assert.is(res?.headers()['x-planktos-source'], source, `${url} came from the ${source}`)
    await assertRendered(page, files, url)
    await installed(page)
  }
  await settled(page, pending)
}

browserSuites(name => `${name}: nothing hangs`, ({ test, name, own, ownSite }) => {
  // Each test starts its own origin and tracker and registers how to stop them; its visitor's context too, so a
  // failed test leaves no page behind to seed the next test's swarm (the same files make the same infohashes).
  const newVisitor = async (browser: Browser, url: string): Promise<Page> => {
    const page = await firstVisit(browser, url)
    own(page.context())
    return page
  }

  test('with no peers and a tracker that never answers, every page loads from the origin', async ({ browser }) => {
    const tracker = own(await deadTracker())
    const site = ownSite(await buildSite({ announce: [tracker.url] }, GALLERY.files))
    const origin = own(await startOrigin(site))
    const page = await newVisitor(browser, origin.url)
    await browse(page, origin, await siteFiles(site), 'origin')
    // Where there is no WebRTC (WebKit here) no downloader runs at all. Elsewhere the last page's downloader starts
    // when that page is idle, which can come after its last request (the worker need not ask an alone page for peers).
    if (name === 'webkit') assert.not.ok((await stats(page)).downloader, 'no downloader runs')
    else assert.is((await until(page, 'the downloader to run', s => s.downloader !== undefined)).downloader?.peers, 0)
  })

  test('with every tab of the site closed, a new tab loads a page from the origin, and fails at once when it is down', async ({ browser }) => {
    const tracker = own(await startTracker({ port: 0 }))
    const site = ownSite(await buildSite({ announce: [tracker.url] }, GALLERY.files))
    const origin = own(await startOrigin(site))
    const files = await siteFiles(site)
    const first = await newVisitor(browser, origin.url)
    const context = first.context()
    await stay(first)
    await until(first, 'the first page to be stored', s => (s.worker?.stored ?? 0) >= 3)
    await first.close()
    const page = await context.newPage()
    const res = await page.goto(origin.url + 'about/')
    assert.is(res?.headers()['x-planktos-source'], 'origin')
    await assertRendered(page, files, 'about/')
    await page.close()
    await origin.close()
    const last = await context.newPage()
    // Never loaded, and nobody to ask: an error page, not a wait.
    const failed = await within(last.goto(origin.url + GALLERY.pages[0]!.url).then(() => false, () => true), 'the navigation to fail')
    assert.ok(failed, 'the navigation failed')
    await last.close()
    const back = await (await context.newPage()).goto(origin.url)
    assert.is(back?.headers()['x-planktos-source'], 'store', 'a stored page still loads')
  })

  // WebKit here has no WebRTC, so its pages never load downloader.js: its failing to load changes nothing there (the
  // first case is that visit). Stopping a worker takes CDP: Chromium only.
  if (name !== 'webkit') test("when the downloader's script fails to load, every page loads from the origin", async ({ browser }) => {
    const tracker = own(await startTracker({ port: 0 }))
    const site = ownSite(await buildSite({ announce: [tracker.url] }, GALLERY.files))
    await rm(join(site.dir, 'planktos', 'downloader.js'))
    const origin = own(await startOrigin(site))
    const page = await newVisitor(browser, origin.url)
    await browse(page, origin, await siteFiles(site), 'origin')
    assert.is((await stats(page)).downloader, undefined, 'no downloader runs')
  })

  test('when the downloader stops answering, the next page comes from the origin after peerTimeout', async ({ browser }) => {
    // A tracker that never answers, so the worker cannot know there are no peers and asks the page.
    const tracker = own(await deadTracker())
    const site = ownSite(await buildSite({ announce: [tracker.url] }, GALLERY.files))
    const origin = own(await startOrigin(site))
    const files = await siteFiles(site)
    const page = await newVisitor(browser, origin.url)
    await within(page.evaluate(() => (window as unknown as { planktos: { start (): Promise<void> } }).planktos.start()), 'the downloader to start')
    // Every message the page would send throws: its downloader can neither answer nor say it cannot.
    await page.evaluate(() => { MessagePort.prototype.postMessage = () => { throw new Error('crashed') } })
    const res = await page.goto(origin.url + 'about/')
    assert.is(res?.headers()['x-planktos-source'], 'origin')
    await assertRendered(page, files, 'about/')
  })

  if (name === 'chromium') {
    test('after the browser stops the worker mid-visit, the next navigation works and the counters are kept', async ({ browser }) => {
      const tracker = own(await startTracker({ port: 0 }))
      const site = ownSite(await buildSite({ announce: [tracker.url] }, GALLERY.files))
      const origin = own(await startOrigin(site))
      const files = await siteFiles(site)
      const page = await newVisitor(browser, origin.url)
      await page.goto(origin.url + 'about/')
      await assertRendered(page, files, 'about/')
      await until(page, 'about/ to be stored', s => (s.worker?.stored ?? 0) >= 5)
      const cdp = await page.context().newCDPSession(page)
      await cdp.send('ServiceWorker.enable')
      await cdp.send('ServiceWorker.stopAllWorkers')
      const next = await page.goto(origin.url + GALLERY.pages[0]!.url)
      assert.is(next?.headers()['x-planktos-source'], 'origin')
      await assertRendered(page, files, GALLERY.pages[0]!.url)
      const before = (await until(page, 'the gallery page to be stored', s => (s.worker?.stored ?? 0) >= 8)).worker!
      await cdp.send('ServiceWorker.stopAllWorkers')
      const again = await page.goto(origin.url + 'about/')
      assert.is(again?.headers()['x-planktos-source'], 'store')
      await assertRendered(page, files, 'about/')
      const after = (await stats(page)).worker!
      assert.is(after.stored, before.stored, 'the counters went on from where they were')
      assert.is(after.responses.origin, before.responses.origin)
      assert.ok(after.responses.store > before.responses.store)
    })
  }
}, ALL_BROWSERS)
