// Peers that misbehave: one whose stored bytes were altered (the second visitor receives them, rejects them, cuts
// the peer off and still shows the right file), one that stalls (Chromium's debugger freezes its page), and a
// supplying tab that closes mid-request. None of them makes a request hang or a corrupt byte reach a page.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { Browser, CDPSession, Page } from 'playwright-core'
import { startTracker } from '../integrations/cli/tracker.ts'
import type { FileEntry } from '../runtime/shared/manifest.ts'
import { alterStored, connected, firstVisit, installed, launch, rendered, startDownloader, stats, until, within, type BrowserName } from './helpers/browsers.ts'
import { bmp, buildSite, gallery, pageFiles, siteFiles, startOrigin, type Origin, type TestSite } from './helpers/site.ts'

const GALLERY = gallery(2)
// A 300 x 300 image spans about 17 pieces of 16 KiB: WebTorrent's start-up spot check reads one of them per file.
const BIG = 'big/photo.bmp'
const FILES = {
  ...GALLERY.files,
  [BIG]: bmp(300, 300, 99),
  'big/index.html': '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Big</title></head><body><h1 id="title">A big photo</h1><img src="photo.bmp" alt="photo" width="300" height="300"></body></html>\n'
}
const PAGES = ['', 'about/', 'big/', ...GALLERY.pages.map(p => p.url)]


/** Every image on `page` decoded, with the manifest's bytes. */
async function assertImages (page: Page, files: Map<string, FileEntry>, url: string): Promise<void> {
  const r = await rendered(page)
  assert.is(r.images.length, pageFiles(files, url).filter(p => /\.(svg|bmp)$/.test(p)).length, `the images of ${url}`)
  for (const img of r.images) {
    assert.ok(img.width > 0, `${img.src} is decoded`)
    assert.is(img.sha, files.get(img.src.slice(1))?.sha256, `${img.src} has the right bytes`)
  }
}

/** Freezes every script of `page` (its WebRTC connections stay up, but nothing answers on them). */
async function freeze (page: Page): Promise<CDPSession> {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('Debugger.enable')
  await cdp.send('Debugger.pause')
  return cdp
}

const test = suite<{ browsers: Map<BrowserName, Browser> }>('misbehaving peers')
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

/** A tracker, the site, its origin, and A (`a`) having visited every page, its downloader seeding. */
async function seeded (browser: Browser, peerTimeout: number): Promise<{ site: TestSite, origin: Origin, files: Map<string, FileEntry>, A: Page }> {
  const tracker = own(await startTracker({ port: 0 }))
  const site = await buildSite({ announce: [tracker.url], peerTimeout }, FILES)
  cleanup.push(() => site.remove())
  const origin = own(await startOrigin(site))
  const files = await siteFiles(site)
  const A = await firstVisit(browser, origin.url)
  own(A.context())
  for (const url of PAGES.slice(1)) await A.goto(origin.url + url)
  const all = new Set(PAGES.flatMap(url => pageFiles(files, url)))
  await until(A, 'A to store every file', s => (s.worker?.stored ?? 0) >= all.size)
  await A.goto(origin.url)
  await installed(A)
  return { site, origin, files, A }
}

for (const [a, b] of [['chromium', 'chromium'], ['firefox', 'chromium'], ['chromium', 'firefox']] as Array<[BrowserName, BrowserName]>) {
  test(`${a} then ${b}: B rejects altered bytes from A, cuts A off, and shows the right file`, async ({ browsers }) => {
    const { origin, files, A } = await seeded(browsers.get(a)!, 10_000)
    // Alter 100 bytes in the middle of A's stored copy of the big photo, then reload A's page: its new downloader
    // spot-checks one piece per file, not this one, so it offers the altered piece to peers.
    const entry = files.get(BIG)!
    await within(alterStored(A, entry.sha256, Math.floor(entry.size / 2)), 'A\'s store to be altered')
    await A.reload()
    await installed(A)

    const B = await firstVisit(browsers.get(b)!, origin.url)
    own(B.context())
    // A reader staying on a first page: its downloader would start after install.js's STAY.
    await startDownloader(B)
    await connected(B)
    const mark = origin.log.length
    const res = await B.goto(origin.url + 'big/')
    assert.is(res?.headers()['x-planktos-source'], 'peers', 'the page itself came from A')
    await assertImages(B, files, 'big/')
    const s = (await stats(B)).worker!
    assert.ok(s.downloaders.verifyFailures >= 1, `B's downloaders rejected ${s.downloaders.verifyFailures} pieces`)
    assert.ok(s.downloaders.fromPeers > 0, 'B received bytes from A')
    assert.is(s.verifyFailures, 0, 'no file the worker checked was corrupt')
    const fetched = origin.log.slice(mark).filter(e => e.url === '/' + BIG)
    assert.ok(fetched.length > 0, 'the origin supplied what A got wrong')
  })
}

for (const b of ['chromium', 'firefox'] as const) {
  test(`chromium then ${b}: when A stalls, B's next page comes from the origin after peerTimeout`, async ({ browsers }) => {
    const { origin, files, A } = await seeded(browsers.get('chromium')!, 1000)
    const B = await firstVisit(browsers.get(b)!, origin.url)
    own(B.context())
    // A reader staying on a first page: its downloader would start after install.js's STAY.
    await startDownloader(B)
    await connected(B)
    const cdp = await freeze(A)
    try {
      const url = GALLERY.pages[0]!.url
      const res = await B.goto(origin.url + url)
      assert.is(res?.headers()['x-planktos-source'], 'origin')
      assert.is((await rendered(B)).title, GALLERY.pages[0]!.title)
      await assertImages(B, files, url)
    } finally {
      await cdp.send('Debugger.resume').catch(() => {})
    }
  })

  test(`chromium then ${b}: when the tab supplying a page closes, the page comes from the origin at once`, async ({ browsers }) => {
    // peerTimeout is longer than the hang detector: only noticing that the supplying tab is gone ends the wait in time.
    const { origin, files, A } = await seeded(browsers.get('chromium')!, 60_000)
    const supplier = await firstVisit(browsers.get(b)!, origin.url)
    own(supplier.context())
    await startDownloader(supplier)
    await connected(supplier)
    const cdp = await freeze(A)
    try {
      // A tab that has not loaded the site yet: the worker can only ask the supplier.
      const tab = await supplier.context().newPage()
      const url = GALLERY.pages[0]!.url
      // Until the page commits: its images come after, and would wait for the frozen A for peerTimeout.
      const navigation = tab.goto(origin.url + url, { waitUntil: 'commit' })
      await until(supplier, 'the supplier to be asked', s => (s.downloader?.requests ?? 0) > 0)
      await supplier.close()
      const res = await within(navigation, 'the navigation to commit')
      assert.is(res?.headers()['x-planktos-source'], 'origin')
      await cdp.send('Debugger.resume')
      await tab.waitForLoadState('load')
      await assertImages(tab, files, url)
    } finally {
      await cdp.send('Debugger.resume').catch(() => {})
    }
  })
}

test.run()
