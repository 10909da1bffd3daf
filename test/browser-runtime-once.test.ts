// Two pages of one visitor start their downloaders together (as the old page's and the new page's do on a
// navigation: here a first page and a second tab) before the worker keeps a copy of downloader.js: the worker fetches it from the origin once and
// answers the other page with the copy the first fetch keeps.
import * as assert from 'uvu/assert'
import type { Page } from 'playwright-core'
import { DOWNLOADER_FILE } from '../runtime/shared/manifest.ts'
import { controlled, installed, visitor, within } from './helpers/browsers.ts'
import { startProxy } from './helpers/proxy.ts'
import { buildSite, startOrigin } from './helpers/site.ts'
import { browsersSuite } from './helpers/suite.ts'

// Chromium only: Playwright reports no `request` event in Firefox for a module a worker answers, so the test could
// not know the second page has asked before it lets the origin answer.
const BROWSERS = ['chromium'] as const

const test = browsersSuite('planktos\' own files', BROWSERS)

/** Starts `page`'s downloader without waiting for it; the promise it returns is left on the page. */
const start = (page: Page): Promise<void> => page.evaluate(() => {
  const w = window as unknown as { started: Promise<void>, planktos: { start (): Promise<void> } }
  w.started = w.planktos.start()
})
const started = (page: Page): Promise<void> => within(page.evaluate(() => (window as unknown as { started: Promise<void> }).started), 'the downloader to start')

for (const name of BROWSERS) {
  test(`${name}: two pages starting their downloaders together cost the origin one downloader.js`, async ({ browsers }) => {
    const browser = browsers.get(name)!
    const site = await buildSite()
    const origin = await startOrigin(site)
    const proxy = await startProxy(origin)
    const path = site.base + DOWNLOADER_FILE
    // The origin holds its answer to downloader.js until both pages have asked for it.
    let release!: () => void
    const gate = new Promise<void>(resolve => { release = resolve })
    let asked!: () => void
    const arrived = new Promise<void>(resolve => { asked = resolve })
    proxy.handler = async (req) => {
      if (req.url !== path) return
      asked()
      await gate
    }
    const context = await visitor(browser)
    try {
      const A = await context.newPage()
      await A.goto(proxy.url)
      await installed(A)
      await controlled(A)
      // B, a later page, starts its downloader by itself once idle; the origin holds that answer.
      const B = await context.newPage()
      await B.goto(proxy.url + 'about/')
      await within(arrived, 'B\'s downloader.js to reach the origin')
      const aAsks = A.waitForRequest(r => r.url().endsWith(DOWNLOADER_FILE))
      await start(A)
      await within(aAsks, 'A to ask for downloader.js')
      // A round trip to the worker (not planktos.stats(), which waits for the downloader): A's request has
      // reached it by then.
      await within(A.evaluate(() => new Promise<void>(resolve => {
        const { port1, port2 } = new MessageChannel()
        port1.onmessage = () => resolve()
        navigator.serviceWorker.controller!.postMessage({ type: 'stats-request' }, [port2])
      })), 'a round trip to the worker')
      release()
      await started(A)
      await start(B)
      await started(B)
      const fetched = proxy.seen.filter(e => e.url === path)
      assert.is(fetched.length, 1, `the origin's answers to downloader.js: ${JSON.stringify(fetched)}`)
    } finally {
      release()
      await context.close()
      await proxy.close()
      await origin.close()
      await site.remove()
    }
  })
}

test.run()
