// Peers that fail mid-transfer, and many tabs at once. A peer (Chromium, frozen through CDP's debugger: nothing else
// can stop a page's scripts on demand) that stalls after its first bytes costs peerTimeout, then the rest of the file comes whole
// and right from the origin. Many tabs of one visitor each render right and run their own downloader: a downloader
// lives in a page, browsers throttle and freeze background tabs, and the worker asks the tab that made the request
// first, so a frozen tab does not hold up the others (tested in Chromium, which can freeze a tab through CDP).
import { createHash } from 'node:crypto'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { Browser, Page } from 'playwright-core'
import { startTracker } from '../integrations/cli/tracker.ts'
import type { FileEntry } from '../runtime/shared/manifest.ts'
import { connected, fetchHash, firstVisit, installed, launch, rendered, startDownloader, stats, until, within, type BrowserName } from './helpers/browsers.ts'
import { blob, buildSite, gallery, pageFiles, siteFiles, startOrigin, type Origin, type TestSite } from './helpers/site.ts'

const GALLERY = gallery(4)
// Large enough that it is still on its way when the test sees the first bytes arrive, whatever the machine's load.
const HUGE = blob(16 * 1024 * 1024, 3)
const HUGE_SHA = createHash('sha256').update(HUGE).digest('hex')
const FILES = { ...GALLERY.files, 'data/huge.bin': HUGE }

const test = suite<{ browsers: Map<BrowserName, Browser> }>('peers that fail, and many tabs')
const cleanup: Array<() => Promise<unknown>> = []
const own = <T extends { close (): Promise<unknown> }>(thing: T): T => {
  cleanup.push(() => thing.close())
  return thing
}

test.before(async (ctx) => {
  ctx.browsers = new Map()
  for (const name of ['chromium', 'firefox'] as const) ctx.browsers.set(name, await launch(name))
})
test.after.each(async () => {
  for (const close of cleanup.splice(0).reverse()) await close().catch(() => {})
})
test.after(async (ctx) => {
  for (const browser of ctx.browsers?.values() ?? []) await browser.close()
})

async function assertImages (page: Page, files: Map<string, FileEntry>, url: string): Promise<void> {
  const r = await rendered(page)
  assert.is(r.images.length, pageFiles(files, url).filter(p => /\.(svg|bmp)$/.test(p)).length, `the images of ${url}`)
  for (const img of r.images) assert.is(img.sha, files.get(img.src.slice(1))?.sha256, `${img.src} has the right bytes`)
}

/** A tracker, the site, its origin, and A (Chromium) having stored `paths` besides every page, its downloader on. */
async function seeded (browser: Browser, peerTimeout: number, extra: string[]): Promise<{ site: TestSite, origin: Origin, files: Map<string, FileEntry>, A: Page }> {
  const tracker = own(await startTracker({ port: 0 }))
  const site = await buildSite({ announce: [tracker.url], peerTimeout }, FILES)
  cleanup.push(() => site.remove())
  const origin = own(await startOrigin(site))
  const files = await siteFiles(site)
  const A = await firstVisit(browser, origin.url)
  own(A.context())
  const pages = ['about/', ...GALLERY.pages.map(p => p.url)]
  for (const url of pages) await A.goto(origin.url + url)
  // A large file takes long through a loaded machine: a longer hang detector than pageFetch's.
  for (const path of extra) await within(A.evaluate(async (url) => (await (await fetch(url)).arrayBuffer()).byteLength, origin.url + path), `A to fetch ${path}`, 120_000)
  const all = new Set([...pages.flatMap(url => pageFiles(files, url)), ...pageFiles(files, ''), ...extra])
  await until(A, 'A to store every file', s => (s.worker?.stored ?? 0) >= all.size, 120_000)
  await A.goto(origin.url)
  await installed(A)
  await startDownloader(A)
  return { site, origin, files, A }
}

for (const b of ['chromium', 'firefox'] as const) {
  test(`chromium then ${b}: a peer that stalls after its first bytes costs peerTimeout, then the rest of the file comes from the origin, whole and right`, async ({ browsers }) => {
    const { origin, A } = await seeded(browsers.get('chromium')!, 1000, ['data/huge.bin'])
    const B = await firstVisit(browsers.get(b)!, origin.url)
    own(B.context())
    await startDownloader(B)
    await connected(B, 'B to connect to A')
    const cdp = await A.context().newCDPSession(A)
    try {
      const mark = origin.log.length
      const download = B.evaluate(async (url) => {
        const res = await fetch(url)
        const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await res.arrayBuffer()))
        return { sha: [...digest].map(b => b.toString(16).padStart(2, '0')).join(''), source: res.headers.get('X-Planktos-Source') }
      }, origin.url + 'data/huge.bin')
      // The moment B's downloader has bytes from A, A stops (its connections stay up, nothing answers on them).
      await within((async () => {
        while (((await stats(B)).downloader?.fromPeers ?? 0) === 0) await B.waitForTimeout(20)
      })(), 'the first bytes from A', 120_000)
      await cdp.send('Debugger.enable')
      await cdp.send('Debugger.pause')
      const got = await within(download, 'the download to finish', 120_000).catch(err => {
        throw new Error(`${err.message}; the origin was asked for: ${origin.log.slice(mark).map(e => `${e.url} ${e.status} ${e.bytes}`).join(', ')}`)
      })
      // The file is streamed: the response began with the peer's verified pieces (so it says `peers`), and the
      // origin sent the rest, whole-file SHA-256 checked before the last bytes were released.
      assert.equal(got, { sha: HUGE_SHA, source: 'peers' })
      const s = await stats(B)
      assert.ok((s.downloader?.fromPeers ?? 0) < HUGE.length, `A stalled part-way (${s.downloader?.fromPeers} bytes from peers)`)
      const sent = origin.log.slice(mark).filter(e => e.url === '/data/huge.bin' && (e.status === 200 || e.status === 206)).reduce((n, e) => n + e.bytes, 0)
      assert.ok(sent > 0 && sent + (s.downloader?.fromPeers ?? 0) >= HUGE.length, `the origin sent the rest (${sent} bytes)`)
      assert.is(s.worker?.verifyFailures, 0)
    } finally {
      await cdp.send('Debugger.resume').catch(() => {})
    }
  })
}

for (const name of ['chromium', 'firefox'] as const) {
  test(`${name}: five tabs of one visitor open at once all render right, each runs a downloader, and all share one store`, async ({ browsers }) => {
    const browser = browsers.get(name)!
    const { origin, files } = await seeded(browser, 1000, [])
    const first = await firstVisit(browser, origin.url)
    const context = own(first.context())
    const urls = ['about/', ...GALLERY.pages.map(p => p.url)]
    const tabs = await Promise.all(urls.map(() => context.newPage()))
    await Promise.all(tabs.map((tab, i) => tab.goto(origin.url + urls[i])))
    for (const [i, tab] of tabs.entries()) {
      assert.is((await rendered(tab)).title, i === 0 ? 'About this site' : GALLERY.pages[i - 1]!.title)
      await assertImages(tab, files, urls[i]!)
      await installed(tab)
    }
    // Every tab starts a downloader when idle; each finds the peer.
    for (const tab of tabs) await connected(tab, 'the tab\'s downloader to connect')
    const counted = await Promise.all(tabs.map(tab => stats(tab)))
    assert.ok(counted.every(s => s.downloader !== undefined), 'one downloader per tab')
    // One worker for all the tabs: the counters every tab reads are the same ones.
    const [w0, w1] = [counted[0]!.worker!, (await stats(tabs[1]!)).worker!]
    assert.ok(w1.responses.peers + w1.responses.origin >= w0.responses.peers + w0.responses.origin)
    const distinct = new Set(urls.flatMap(u => pageFiles(files, u)).concat(pageFiles(files, ''))).size
    assert.ok(w1.stored <= distinct, `each file stored once: ${w1.stored} stores for ${distinct} files`)

    if (name === 'chromium') {
      // A frozen background tab (as the browser freezes tabs) does not hold up the tab that asks.
      const frozen = await context.newCDPSession(tabs[0]!)
      await frozen.send('Page.enable')
      await frozen.send('Page.setWebLifecycleState', { state: 'frozen' })
      try {
        const last = tabs[tabs.length - 1]!
        const file = pageFiles(files, urls[0]!).find(p => p.endsWith('.svg'))!
        const got = await fetchHash(last, origin.url + file)
        assert.is(got.sha, files.get(file)!.sha256)
        const again = await last.goto(origin.url + GALLERY.pages[0]!.url)
        assert.ok(['peers', 'origin', 'store'].includes(again?.headers()['x-planktos-source'] ?? ''), 'the navigation was answered')
        await assertImages(last, files, GALLERY.pages[0]!.url)
      } finally {
        await frozen.send('Page.setWebLifecycleState', { state: 'active' }).catch(() => {})
      }
    }
  })
}

test.run()
