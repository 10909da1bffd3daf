// What a visitor's browser and the network can do to planktos mid-visit: a tracker that refuses connections or goes
// away and comes back, IndexedDB that cannot be opened, a storage quota that is used up (Chromium: CDP sets it), and
// the browser stopping the worker while a download is under way (Chromium: only CDP can stop a worker on demand).
// In each, every page renders with the right bytes, from the origin when nothing else can serve it, and nothing hangs.
import { createHash } from 'node:crypto'
import { createServer } from 'node:net'
import * as assert from 'uvu/assert'
import type { Page } from 'playwright-core'
import { startTracker } from '../integrations/cli/tracker.ts'
import type { FileEntry } from '../runtime/shared/manifest.ts'
import { ALL_BROWSERS, controlled, firstVisit, installed, pageFetch, pendingRequests, stats, until, visitor, within } from './helpers/browsers.ts'
import { startProxy } from './helpers/proxy.ts'
import { blob, buildSite, gallery, siteFiles, startOrigin, type Origin } from './helpers/site.ts'
import { browserSuites, renderCheck } from './helpers/suite.ts'

const GALLERY = gallery(2)
const assertRendered = renderCheck(GALLERY)
const BIG = blob(2 * 1024 * 1024, 5)
const BIG_SHA = createHash('sha256').update(BIG).digest('hex')

/**
 * Visits every page after the first; each renders right and no request to the site stays pending. A pending one is
 * told with what the origin answered for its path (`log`), so a failure says whether the request ever reached it.
 */
async function browse (page: Page, siteUrl: string, files: Map<string, FileEntry>, source?: string, log?: Origin['log']): Promise<void> {
  const all = pendingRequests(page)
  for (const url of ['about/', ...GALLERY.pages.map(p => p.url)]) {
    const res = await page.goto(siteUrl + url)
    if (source) assert.is(res?.headers()['x-planktos-source'], source, `${url} came from the ${source}`)
    await assertRendered(page, files, url)
    await installed(page)
  }
  await within((async () => {
    while (all().some(u => u.startsWith(siteUrl))) await page.waitForTimeout(50)
  })(), 'every request to finish').catch(() => {
    const paths = new Set(all().map(u => new URL(u.split(' ')[0]!).pathname))
    const answered = log?.filter(e => paths.has(e.url.split('?')[0]!)).map(e => `${e.url} ${e.status} ${e.bytes} B`)
    assert.equal(all(), [], `no request stays pending (the origin answered for their paths: ${answered?.join(', ') || 'nothing'})`)
  })
}

/** A loopback port nobody listens on (taken, then freed). */
async function closedPort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise(resolve => server.close(resolve))
  return port
}

/** IndexedDB that throws on open, as where the browser disables it (a private window of some browsers, a policy). */
const NO_IDB = "IDBFactory.prototype.open = function () { throw new DOMException('IndexedDB is disabled', 'InvalidStateError') };\n"

browserSuites(name => `${name}: faults in the browser and the network`, ({ test, name, own, ownSite, cleanup }) => {
  // WebKit here has no WebRTC: its pages run no downloader and nothing contacts a tracker, so a tracker's faults
  // change nothing there (browser-fallback's first case is that visit, with a tracker that never answers). The
  // cases after the IndexedDB one take CDP: Chromium only.
  const trackers = name !== 'webkit'

  if (trackers) test('with a tracker that refuses connections, every page loads from the origin', async ({ browser }) => {
    const site = ownSite(await buildSite({ announce: [`ws://127.0.0.1:${await closedPort()}`] }, GALLERY.files))
    const origin = own(await startOrigin(site))
    const page = await firstVisit(browser, origin.url)
    own(page.context())
    await within(page.evaluate(() => (window as unknown as { planktos: { start (): Promise<void> } }).planktos.start()), 'the downloader to start')
    await browse(page, origin.url, await siteFiles(site), 'origin')
    // The last page's downloader starts when that page is idle, which can come after its last request.
    assert.is((await until(page, 'the downloader to run', s => s.downloader !== undefined)).downloader?.peers, 0)
  })

  if (trackers) test('with a tracker that goes away and comes back on the same port, every page renders and nothing hangs', async ({ browser }) => {
    let tracker = await startTracker({ port: 0 })
    const port = tracker.port
    cleanup.push(() => tracker.close())
    const site = ownSite(await buildSite({ announce: [tracker.url], peerTimeout: 1000 }, GALLERY.files))
    const origin = own(await startOrigin(site))
    const files = await siteFiles(site)
    const A = await firstVisit(browser, origin.url)
    own(A.context())
    for (const url of ['about/', ...GALLERY.pages.map(p => p.url)]) await A.goto(origin.url + url)
    await installed(A)
    const B = await firstVisit(browser, origin.url)
    own(B.context())
    for (let flap = 0; flap < 2; flap++) {
      await tracker.close()
      await B.goto(origin.url + 'about/')
      await assertRendered(B, files, 'about/')
      tracker = await startTracker({ port })
      await B.goto(origin.url)
      await assertRendered(B, files, '')
    }
    await browse(B, origin.url, files)
  })

  test('with IndexedDB unavailable in the pages and the worker, every page works from the origin', async ({ browser }) => {
    const site = ownSite(await buildSite({}, GALLERY.files))
    const origin = own(await startOrigin(site))
    const proxy = own(await startProxy(origin))
    // A worker gets no init scripts: its own script, as the origin serves it, opens with the stub instead.
    proxy.handler = async (req, res, fetchUpstream) => {
      if (req.url !== '/planktos-sw.js') return false
      const up = await fetchUpstream(h => { delete h['if-none-match']; delete h['if-modified-since'] })
      res.writeHead(200, { 'Content-Type': 'text/javascript', 'Cache-Control': 'no-cache' }).end(NO_IDB + up.body.toString())
      return true
    }
    const context = own(await visitor(browser))
    await context.addInitScript(NO_IDB)
    const page = await context.newPage()
    await page.goto(proxy.url)
    await installed(page)
    await controlled(page)
    assert.ok(await page.evaluate(() => { try { indexedDB.open('x'); return false } catch { return true } }), 'the stub is in place')
    await browse(page, proxy.url, await siteFiles(site), 'origin')
    const s = (await stats(page)).worker!
    assert.is(s.stored, 0, 'nothing could be stored')
    assert.ok(s.responses.origin > 0, 'the worker answered from the origin')
  })

  if (name === 'chromium') {
    test('with the storage quota used up (CDP), every page works from the origin and nothing is stored', async ({ browser }) => {
      const site = ownSite(await buildSite({}, GALLERY.files))
      const origin = own(await startOrigin(site))
      const context = own(await visitor(browser))
      const page = await context.newPage()
      const cdp = await context.newCDPSession(page)
      // A few bytes: the worker's first writes (the manifest) may fit, no site file does.
      await cdp.send('Storage.overrideQuotaForOrigin', { origin: origin.url.replace(/\/$/, ''), quotaSize: 1024 })
      await page.goto(origin.url)
      await installed(page)
      await controlled(page)
      await browse(page, origin.url, await siteFiles(site), 'origin', origin.log)
      await page.goto(origin.url)
      await assertRendered(page, await siteFiles(site), '')
      const s = (await stats(page)).worker!
      assert.is(s.stored, 0)
      assert.is(s.responses.store, 0)
    })

    test('after the browser stops the worker mid-download, no wrong byte reaches the page and the file is fetched again (CDP)', async ({ browser }) => {
      const site = ownSite(await buildSite({}, { 'data/big.bin': BIG }))
      const origin: Origin = own(await startOrigin(site))
      const proxy = own(await startProxy(origin))
      let started = false
      // The origin sends the file slowly, so the download is still under way when the worker is stopped.
      proxy.handler = async (req, res, fetchUpstream) => {
        if (req.url !== '/data/big.bin') return false
        const up = await fetchUpstream()
        res.writeHead(up.status, up.headers)
        started = true
        for (let at = 0; at < up.body.length && !res.destroyed; at += 64 * 1024) {
          res.write(up.body.subarray(at, at + 64 * 1024))
          await new Promise(resolve => setTimeout(resolve, 50))
        }
        res.end()
        return true
      }
      const page = await firstVisit(browser, proxy.url)
      own(page.context())
      const hash = (): Promise<{ ok: boolean, sha?: string, source?: string | null }> => page.evaluate(async (url) => {
        try {
          const res = await fetch(url)
          const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await res.arrayBuffer()))
          return { ok: res.ok, sha: [...digest].map(b => b.toString(16).padStart(2, '0')).join(''), source: res.headers.get('X-Planktos-Source') }
        } catch {
          return { ok: false }
        }
      }, proxy.url + 'data/big.bin')
      type Hashed = Awaited<ReturnType<typeof hash>>
      const hashUntil = (ok: (r: Hashed) => boolean, what: string): Promise<Hashed> => within((async () => {
        for (;;) {
          const r = await hash()
          if (ok(r)) return r
          await page.waitForTimeout(200)
        }
      })(), what)
      const during = hash()
      await within((async () => { while (!started) await page.waitForTimeout(20) })(), 'the download to start')
      const cdp = await page.context().newCDPSession(page)
      await cdp.send('ServiceWorker.enable')
      await cdp.send('ServiceWorker.stopAllWorkers')
      const first = await within(during, 'the interrupted fetch to settle')
      // Either the fetch failed (as a dropped connection does) or it carries the whole, right file.
      if (first.ok) assert.is(first.sha, BIG_SHA, 'the interrupted fetch has the right bytes')
      // Right after a forced stop, Chromium sometimes sends a page's request to the network without starting the
      // worker (seen in about 1 run of 5; the answer is right but unstored): ask until the worker answers.
      const again = await hashUntil(r => !r.ok || !!r.source, 'the worker to answer the file again')
      assert.equal([again.ok, again.sha], [true, BIG_SHA])
      // The file ends up stored: answered from the store. (Not read from the `stored` counter: an increment the
      // stopped worker had not saved yet is lost with it.)
      const stored = await hashUntil(r => r.source === 'store', 'the file to be answered from the store')
      assert.equal([stored.ok, stored.sha], [true, BIG_SHA])
      assert.is((await pageFetch(page, proxy.url + 'notes/a.txt')).text, 'plain text a\n', 'the restarted worker answers')
    })
  }
}, ALL_BROWSERS)
