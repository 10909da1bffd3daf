// WebKit (WebKitGTK, Safari's engine) as a visitor's browser. Debian builds WebKitGTK without WebRTC, so here it is
// the browser that cannot have peers: planktos must be the worker and the origin site, never wait for peers, never
// load the downloader or a torrent, and keep what a visitor saw for a visit with the origin down, after a browser
// restart too. (The suites that need no peers and nothing WebDriver lacks run in WebKit as well, through
// ALL_BROWSERS; this file holds what only WebKit can show or what those suites check through playwright alone.)
import { createHash } from 'node:crypto'
import * as assert from 'uvu/assert'
import type { Page } from 'playwright-core'
import { startTracker } from '../integrations/cli/tracker.ts'
import { firstVisit, installed, pageFetch, stats, until, within } from './helpers/browsers.ts'
import { checkTable, fetchAll, toneWav } from './helpers/range-cases.ts'
import { buildSite, gallery, pageFiles, siteFiles, startOrigin } from './helpers/site.ts'
import { browserSuites, renderCheck } from './helpers/suite.ts'
import type { WebKitContext } from './helpers/webkit.ts'

const GALLERY = gallery(2)
const assertRendered = renderCheck(GALLERY)
const PAGES = ['', 'about/', ...GALLERY.pages.map(p => p.url)]
const TONE = toneWav()
const ETAG = `"${createHash('sha256').update(TONE).digest('hex')}"`
const FILE = 'media/tone.wav'
const AUDIO_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Listen</title></head>
<body><h1 id="title">Listen</h1><audio id="tune" src="../media/tone.wav" preload="auto" controls></audio></body></html>
`
/**
 * Longer than any test's hang limit: a worker that waited for peers even once would make the test fail as a hang,
 * so the tests below prove that nothing waits without measuring time.
 */
const NEVER = 600_000

/** Plays the page's <audio>, seeks to 10 s, and reports what the element saw. */
function playAndSeek (page: Page): Promise<{ duration: number, after: number }> {
  return within(page.evaluate(async () => {
    const audio = document.getElementById('tune') as HTMLAudioElement
    const event = (name: string): Promise<void> => new Promise((resolve, reject) => {
      audio.addEventListener(name, () => resolve(), { once: true })
      audio.addEventListener('error', () => reject(new Error(`media error ${audio.error?.code}: ${audio.error?.message}`)), { once: true })
    })
    audio.muted = true
    if (audio.readyState < 1) await event('loadedmetadata')
    const duration = audio.duration
    await audio.play()
    const seeked = event('seeked')
    audio.currentTime = 10
    await seeked
    return { duration, after: audio.currentTime }
  }), 'the audio to play and seek')
}

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
    const peerFiles = origin.log.map(e => e.url).filter(u => u === '/planktos/downloader.js' || u.endsWith('.torrent'))
    assert.equal(peerFiles, [], 'neither downloader.js nor a torrent was fetched')
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

  test('the Range table passes from the origin and then from the store, and an <audio> element plays and seeks', async ({ browser }) => {
    const tracker = own(await startTracker({ port: 0 }))
    const site = ownSite(await buildSite({ announce: [tracker.url], peerTimeout: NEVER }, { [FILE]: TONE, 'listen/index.html': AUDIO_PAGE }))
    const origin = own(await startOrigin(site))
    const page = await firstVisit(browser, origin.url)
    own(page.context())
    const before = (await stats(page)).worker!
    checkTable(await fetchAll(page, origin.url + FILE, ETAG), TONE, ETAG, 'origin', 'from the origin')
    // The file is counted stored before its download ends, and until it ends a request joins the download (whose
    // bytes count as the origin's): the table runs from the store once both happened.
    await until(page, 'the file to be stored and its download to end', s => (s.worker?.stored ?? 0) > before.stored && (s.worker?.ended ?? 0) > before.ended)
    checkTable(await fetchAll(page, origin.url + FILE, ETAG), TONE, ETAG, 'store', 'from the store')
    await page.goto(origin.url + 'listen/')
    const played = await playAndSeek(page)
    assert.ok(Math.abs(played.duration - 15) < 0.1, `duration ${played.duration}`)
    assert.ok(played.after >= 10, `after seeking: ${played.after}`)
    // A media page, whose element asks for its file before any script runs, starts no peer side either.
    const peerFiles = origin.log.map(e => e.url).filter(u => u === '/planktos/downloader.js' || u.endsWith('.torrent'))
    assert.equal(peerFiles, [], 'neither downloader.js nor a torrent was fetched')
  })
}, ['webkit'])
