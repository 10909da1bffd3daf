// WebKit (WebKitGTK, Safari's engine) as a visitor's browser. Debian builds WebKitGTK without WebRTC, so here it is
// the browser that cannot have peers: planktos must be the worker and the origin site, never wait for peers, never
// load the downloader or a torrent, and keep what a visitor saw for a visit with the origin down, after a browser
// restart too. (The suites that need no peers and nothing WebDriver lacks run in WebKit as well, through
// ALL_BROWSERS; this file holds what only WebKit can show or what those suites check through playwright alone.)
import * as assert from 'uvu/assert'
import type { Page, Request } from 'playwright-core'
import { startTracker } from '../integrations/cli/tracker.ts'
import { firstVisit, installed, pageFetch, stats, until, visitor, within } from './helpers/browsers.ts'
import { AUDIO_PAGE, playAndSeek, toneWav, TONE_FILE as FILE } from './helpers/range-cases.ts'
import { buildSite, gallery, pageFiles, siteFiles, startOrigin } from './helpers/site.ts'
import { browserSuites, renderCheck } from './helpers/suite.ts'
import type { WebKitContext } from './helpers/webkit.ts'

const GALLERY = gallery(2)
const assertRendered = renderCheck(GALLERY)
const PAGES = ['', 'about/', ...GALLERY.pages.map(p => p.url)]
const TONE = toneWav()
/**
 * Longer than any test's hang limit: a worker that waited for peers even once would make the test fail as a hang,
 * so the tests below prove that nothing waits without measuring time.
 */
const NEVER = 600_000

browserSuites(name => `${name}: a browser without WebRTC`, ({ test, own, ownSite }) => {
  test('pages render as without planktos, with no downloader, no torrent and no wait for peers although trackers are set', async ({ browser }) => {
    const tracker = own(await startTracker({ port: 0 }))
    const site = ownSite(await buildSite({ announce: [tracker.url], peerTimeout: NEVER }, GALLERY.files))
    const origin = own(await startOrigin(site))
    const files = await siteFiles(site)
    const page = await firstVisit(browser, origin.url)
    own(page.context())
    assert.is(await page.evaluate(() => typeof RTCPeerConnection), 'undefined', 'this WebKit has no WebRTC (else this file tests nothing)')
    await assertRendered(page, files, '')
    for (const url of PAGES.slice(1)) {
      await page.goto(origin.url + url)
      await installed(page)
      await assertRendered(page, files, url)
    }
    // Every page again, now from the store.
    await until(page, 'every page to be stored', s => (s.worker?.responses.origin ?? 0) >= PAGES.length - 1)
    for (const url of PAGES) {
      await page.goto(origin.url + url)
      await installed(page)
      await assertRendered(page, files, url)
    }
    const peerFiles = origin.log.map(e => e.url).filter(u => u === '/planktos/downloader.js' || /\.(torrent|pieces)$/.test(u))
    assert.equal(peerFiles, [], 'neither downloader.js nor a torrent or its piece hashes was fetched')
    const s = await stats(page)
    assert.not.ok(s.downloader, 'no downloader runs')
    assert.is(s.worker?.responses.peers, 0)
    assert.ok((s.worker?.responses.store ?? 0) > 0, 'the store answered')
  })

  test('with the origin down, visited pages render from the store after the browser restarts', async ({ browser }) => {
    const site = ownSite(await buildSite({}, GALLERY.files))
    const origin = own(await startOrigin(site))
    const files = await siteFiles(site)
    const page = await firstVisit(browser, origin.url)
    const context = own(page.context() as unknown as WebKitContext)
    for (const url of PAGES.slice(1)) await page.goto(origin.url + url)
    const stored = new Set(PAGES.flatMap(url => pageFiles(files, url)).map(p => files.get(p)!.sha256)).size
    await until(page, 'every page and image to be stored', s => (s.worker?.stored ?? 0) >= stored)
    await origin.close()
    await context.restart()
    const again = await context.newPage() as unknown as Page
    for (const url of PAGES) {
      await again.goto(origin.url + url)
      await assertRendered(again, files, url)
    }
    assert.is((await pageFetch(again, origin.url + 'style.css')).source, 'store')
  })

  // The Range table and an <audio> element through the worker are browser-range's cases, run in WebKit too; here: a
  // media page with trackers set, whose element the builder held back until install.js runs.
  test('a media page plays and seeks with trackers set, and starts no peer side', async ({ browser }) => {
    const tracker = own(await startTracker({ port: 0 }))
    const site = ownSite(await buildSite({ announce: [tracker.url], peerTimeout: NEVER }, { [FILE]: TONE, 'listen/index.html': AUDIO_PAGE }))
    const origin = own(await startOrigin(site))
    assert.match(await (await fetch(origin.url + 'listen/')).text(), 'preload="none" data-planktos-preload="auto"', 'the builder held the element back (else this tests nothing)')
    // The media page as a first page; the worker controls it before this returns.
    const page = await firstVisit(browser, origin.url + 'listen/')
    own(page.context())
    // With no peers to wait for, install.js gives the element its preload back (at once: not shown here, the worker
    // being as quick), and it loads before anyone presses play.
    const restored = (): Promise<boolean> => page.evaluate(() => {
      const a = document.querySelector('audio')!
      return a.getAttribute('preload') === 'auto' && !a.hasAttribute('data-planktos-preload') && a.readyState > 0
    })
    await within((async () => { while (!await restored()) await page.waitForTimeout(50) })(), 'the held-back <audio> to get its preload="auto" back and load')
    const played = await playAndSeek(page)
    assert.ok(Math.abs(played.duration - 15) < 0.1, `duration ${played.duration}`)
    assert.ok(played.after >= 10, `after seeking: ${played.after}`)
    const peerFiles = origin.log.map(e => e.url).filter(u => u === '/planktos/downloader.js' || /\.(torrent|pieces)$/.test(u))
    assert.equal(peerFiles, [], 'neither downloader.js nor a torrent or its piece hashes was fetched')
  })
  // Not planktos: the test browser's own traps (test/helpers/webkit.ts), which would make other suites' WebKit
  // runs hear what they did not ask for, or run without a script they asked for.
  test('the test browser: off and a closed page stop a listener, and it refuses a late init script and a page from before a restart', async ({ browser }) => {
    const site = ownSite(await buildSite({}))
    const origin = own(await startOrigin(site))
    const context = own(await visitor(browser))
    const page = await context.newPage()
    const [heard, taken, closed]: string[][] = [[], [], []]
    const take = (r: Request): void => { taken.push(r.url()) }
    page.on('request', r => heard.push(r.url())).on('request', take)
    page.off('request', take)
    const other = await context.newPage()
    other.on('pageerror', e => closed.push(e.message))
    await other.close()
    await page.goto(origin.url + 'about/')
    assert.ok(heard.includes(origin.url + 'about/'), `the listener kept heard the page: ${heard.join(' ')}`)
    assert.equal(taken, [], 'the listener taken away with off heard nothing')
    const errors: string[] = []
    page.on('pageerror', e => errors.push(e.message))
    await page.evaluate(() => { setTimeout(() => { throw new Error('planktos-shim-check') }) })
    await within((async () => { while (!errors.some(e => e.includes('planktos-shim-check'))) await page.waitForTimeout(50) })(), 'the page\'s error to be heard')
    assert.equal(closed, [], 'the closed page heard nothing')
    const late = await context.addInitScript('window.late = true').then(() => 'added', (e: Error) => e.message)
    assert.match(late, 'call it before context.newPage()')
    await (context as unknown as WebKitContext).restart()
    const stale = await page.goto(origin.url).then(() => 'navigated', (e: Error) => e.message)
    assert.match(stale, 'restarted')
  })
}, ['webkit'])
