// What a site owner sees in the browser's console: nothing from planktos unless `debug` is on. A busy page must
// not trip WebTorrent's MaxListenersExceededWarning.
import * as assert from 'uvu/assert'
import type { ConsoleMessage, Page } from 'playwright-core'
import { startTracker } from '../integrations/cli/tracker.ts'
import { connected, firstVisit, startDownloader, until, within } from './helpers/browsers.ts'
import { bmp, buildSite, startOrigin } from './helpers/site.ts'
import { browserSuites } from './helpers/suite.ts'

/** Everything `page` prints to its console from now on. */
function watch (page: Page): string[] {
  const messages: string[] = []
  page.on('console', (m: ConsoleMessage) => { messages.push(`${m.type()}: ${m.text()}`) })
  page.on('pageerror', e => { messages.push(`pageerror: ${e.message}`) })
  return messages
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
