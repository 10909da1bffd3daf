// What a site owner sees in the browser's console: nothing from planktos unless `debug` is on. The browser prints
// a failed WebSocket itself (a page cannot silence that), so a tracker that failed is left alone for a while, and
// a busy page must not trip WebTorrent's MaxListenersExceededWarning.
import { createServer } from 'node:net'
import * as assert from 'uvu/assert'
import type { ConsoleMessage, Page } from 'playwright-core'
import { startTracker } from '../integrations/cli/tracker.ts'
import { connected, controlled, firstVisit, installed, startDownloader, until, visitor, within } from './helpers/browsers.ts'
import { bmp, buildSite, startOrigin } from './helpers/site.ts'
import { browserSuites } from './helpers/suite.ts'

/** A ws:// URL nobody listens on: its port was free a moment ago. */
async function deadTracker (): Promise<string> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise(resolve => server.close(resolve))
  return `ws://127.0.0.1:${port}/`
}

/** Everything `page` prints to its console from now on. */
function watch (page: Page): string[] {
  const messages: string[] = []
  page.on('console', (m: ConsoleMessage) => { messages.push(`${m.type()}: ${m.text()} (${m.location().url})`) })
  page.on('pageerror', e => { messages.push(`pageerror: ${e.message}`) })
  return messages
}

/** Reports, from every document of the context, the URL of each WebSocket it opens (WebTorrent's trackers). */
function reportSockets (): void {
  const Native = WebSocket
  const report = (window as unknown as { planktosSocketOpened: (url: string) => void }).planktosSocketOpened
  window.WebSocket = class extends Native {
    constructor (url: string | URL, protocols?: string | string[]) {
      super(url, protocols)
      report(String(url))
    }
  }
}

// Twenty-four images on one page, all in one shard: loaded from a peer, each is a request waiting on the torrent.
const MANY = 24
const MANY_FILES: Record<string, string | Uint8Array> = {
  'many/index.html': `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Many</title></head><body><h1 id="title">Many</h1>
${Array.from({ length: MANY }, (_, i) => `<img src="${i}.bmp" alt="" width="32" height="32">`).join('\n')}
</body></html>`,
  ...Object.fromEntries(Array.from({ length: MANY }, (_, i) => [`many/${i}.bmp`, bmp(32, 32, 100 + i)]))
}

browserSuites(name => `${name}: the console`, ({ test, own, ownSite }) => {
  test('with no tracker reachable, only the first page meets the failed socket; the next pages open none and print nothing', async ({ browser }) => {
    const dead = await deadTracker()
    const site = ownSite(await buildSite({ announce: [dead] }))
    const origin = own(await startOrigin(site))
    const context = own(await visitor(browser))
    // Counted across documents: since the downloader starts lazily, the page a navigation leaves may be the one
    // that meets the tracker first.
    const sockets: string[] = []
    await context.exposeFunction('planktosSocketOpened', (url: string) => { sockets.push(url) })
    await context.addInitScript(reportSockets)
    const page = await context.newPage()
    const first = watch(page)
    await page.goto(origin.url)
    await installed(page)
    await controlled(page)
    await page.goto(origin.url)
    await until(page, 'the first pages to be stored', s => (s.worker?.stored ?? 0) >= 3)
    await startDownloader(page)
    // The failure is remembered once WebTorrent reports it.
    // WebTorrent names the tracker without the trailing slash.
    const named = dead.slice(0, -1)
    await within(page.waitForFunction(url => localStorage.getItem('planktos-tracker-failures')?.includes(url), named, { polling: 50, timeout: 0 }), 'the failed tracker to be remembered')
    assert.ok(sockets.some(url => url.startsWith(named)), 'a first page tried the tracker')
    // What the browser itself prints about the failed socket is all there is.
    // The browser's own lines: the failed socket, and the favicon this test site lacks.
    const browsers = (m: string): boolean => m.includes(dead.slice(5, -1)) || m.includes('/favicon.ico')
    assert.equal(first.filter(m => !browsers(m)), [])

    const next = watch(page)
    const before = sockets.length
    await page.goto(origin.url + 'about/')
    await installed(page)
    await startDownloader(page)
    // Joining a shard is when a tracker would be contacted: the socket would exist by now.
    await until(page, 'the next page to join the shard it holds', s => (s.downloader?.torrents ?? 0) >= 1)
    assert.equal(sockets.slice(before), [], 'no socket to the tracker that failed')
    assert.equal(next.filter(m => !m.includes('/favicon.ico')), [])
  })

  test('a page of two dozen images loaded from a peer prints nothing (no MaxListenersExceededWarning)', async ({ browser }) => {
    const tracker = own(await startTracker({ port: 0 }))
    const site = ownSite(await buildSite({ announce: [tracker.url], peerTimeout: 15_000 }, MANY_FILES))
    const origin = own(await startOrigin(site))
    const A = await firstVisit(browser, origin.url + 'many/')
    await until(A, 'A to store the page and its images', s => (s.worker?.stored ?? 0) >= MANY + 1)
    await startDownloader(A)

    const B = await firstVisit(browser, origin.url)
    await startDownloader(B)
    await connected(B, 'B to connect to A')
    const seen = watch(B)
    const res = await B.goto(origin.url + 'many/')
    assert.is(res?.headers()['x-planktos-source'], 'peers')
    // Every image has settled, so every request that waited on the torrent has come and gone.
    const loaded = await within(B.evaluate(() => Promise.all([...document.images].map(img => img.complete
      ? img.naturalWidth
      : new Promise<number>(resolve => { img.onload = img.onerror = () => resolve(img.naturalWidth) })))), 'the images')
    assert.equal(loaded, Array(MANY).fill(32))
    assert.equal(seen, [])
  })
})
