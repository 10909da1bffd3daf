// A download through the worker that takes longer than 5 minutes, in Chromium, Firefox and WebKit: a visitor on a slow link
// fetches an 8 MiB file (no tracker: the worker streams it from the origin) and gets all of it, right. Chromium
// errors a fetch event's response once the event has been kept for 5 minutes, even while the response streams on:
// the worker kept each download's event until the download ended, so such a download failed at 5 minutes where the
// site without planktos delivers it (runtime/worker/file-request.ts, EVENT_MAX). Firefox stops a worker that has had
// no event for 30 s, streaming or not: the pages' keep-alive answers (runtime/worker/stream.ts) carry it.
// This file takes about 6 minutes, the three browsers side by side; it asserts bytes, not times.
import { createHash } from 'node:crypto'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { startLink } from '../bench/link.ts'
import type { Page } from 'playwright-core'
import { ALL_BROWSERS, firstVisit, launch } from './helpers/browsers.ts'
import { blob, buildSite, startOrigin } from './helpers/site.ts'

const SIZE = 8 * 1024 * 1024
const BIG = blob(SIZE, 41)
const SHA = createHash('sha256').update(BIG).digest('hex')
const FILE = 'data/long.bin'
/** Chromium's limit on keeping one fetch event. */
const CHROMIUM_EVENT_LIMIT = 5 * 60_000
/** Each connection a link of its own at this pace: the file alone takes ~335 s, the first page a few seconds. */
const LINK = { rttMs: 40, mbit: 0.2, shared: false }
/** A hang, not a time limit: well past the ~335 s the link needs. */
const HUNG = 10 * 60_000

const test = suite('a download longer than 5 minutes')

interface Got { sha: string, source: string | null }

/**
 * Fetches `url` on `page` in the background and waits for the SHA-256 of its body (the WebKit shim ends one script
 * call after 30 s, and polls `waitForFunction`); a failed fetch is its error's text.
 */
async function download (page: Page, url: string): Promise<Got> {
  await page.evaluate((url) => {
    const w = window as unknown as { got?: Got }
    fetch(url).then(async res => {
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await res.arrayBuffer()))
      w.got = { sha: [...digest].map(b => b.toString(16).padStart(2, '0')).join(''), source: res.headers.get('X-Planktos-Source') }
    }, (err: unknown) => { w.got = { sha: `failed: ${String(err)}`, source: null } })
  }, url)
  await page.waitForFunction(() => (window as unknown as { got?: Got }).got, undefined, { polling: 2000, timeout: HUNG })
  return await page.evaluate(() => (window as unknown as { got: Got }).got)
}

test('Chromium, Firefox and WebKit get the whole file through the worker', async () => {
  const site = await buildSite({}, { [FILE]: BIG })
  const origin = await startOrigin(site)
  const link = await startLink(origin.port, LINK)
  const url = `http://127.0.0.1:${link.port}${site.base}`
  try {
    const results = await Promise.all(ALL_BROWSERS.map(async name => {
      const browser = await launch(name)
      try {
        const page = await firstVisit(browser, url)
        const started = Date.now()
        const got = await download(page, url + FILE)
        return { name, got, ms: Date.now() - started }
      } finally {
        await browser.close()
      }
    }))
    for (const { name, got, ms } of results) {
      console.log(`  ${name}: ${got.sha === SHA ? 'right bytes' : got.sha} in ${ms} ms`)
      assert.is(got.sha, SHA, `${name}: the file's bytes`)
      assert.is(got.source, 'origin', `${name}: the worker streamed it (from the origin: the site has no tracker)`)
      // Not a time goal: below Chromium's limit, this file would show nothing.
      assert.ok(ms > CHROMIUM_EVENT_LIMIT, `${name}: the download took ${ms} ms, longer than Chromium's 5 minutes`)
    }
  } finally {
    await link.close()
    await origin.close()
    await site.remove()
  }
})

test.run()
