// A crowd: three visitors who arrive together and ask for the same 4 MiB file at the same moment, the origin behind
// a slow shared link (bench/link.ts). Each gets the right bytes, and the origin carries fewer than two copies of
// the file in all: the swarm splits the origin's pieces among its members instead of each pulling every piece
// from the web seed. In Chromium and in Firefox (each crowd is one browser, each visitor its own context), for a crowd
// whose downloaders met before it asks and for one that asks right after its first page is controlled.
import { createHash } from 'node:crypto'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { Browser, Page } from 'playwright-core'
import { startLink } from '../bench/link.ts'
import { startTracker } from '../integrations/cli/tracker.ts'
import { BROWSERS, fetchHash, firstVisit, launch, startDownloader, stats, until, type BrowserName } from './helpers/browsers.ts'
import { blob, buildSite, startOrigin } from './helpers/site.ts'

const SIZE = 4 * 1024 * 1024
const BIG = blob(SIZE, 31)
const SHA = createHash('sha256').update(BIG).digest('hex')
const FILE = 'data/crowd.bin'
const VISITORS = 3
/** Slow enough that the visitors' downloads overlap, as a crowd's do on a real origin. */
const LINK = { rttMs: 40, mbit: 20 }
/** A hang, not a time limit: peers on this shared machine can be slower than the link. */
const SLOW = 120_000

const test = suite<{ browsers: Map<BrowserName, Browser> }>('a crowd arriving together')

test.before(async (ctx) => {
  ctx.browsers = new Map()
  for (const name of BROWSERS) ctx.browsers.set(name, await launch(name))
})
test.after(async (ctx) => {
  for (const browser of ctx.browsers?.values() ?? []) await browser.close()
})

for (const name of BROWSERS) {
  test(`${name}: ${VISITORS} visitors fetching one file at once get it right, and the origin sends fewer than 2 copies`, async ({ browsers }) => {
    const tracker = await startTracker({ port: 0 })
    const site = await buildSite({ announce: [tracker.url], peerTimeout: 2000 }, { [FILE]: BIG })
    const origin = await startOrigin(site)
    const link = await startLink(origin.port, LINK)
    const url = `http://127.0.0.1:${link.port}${site.base}`
    const pages: Page[] = []
    try {
      for (let i = 0; i < VISITORS; i++) pages.push(await firstVisit(browsers.get(name)!, url))
      // The visitors have been reading a while: each one's downloader runs (as after install.js's STAY on a first
      // page) and has met the others in the site's swarm. Visitors who all ask for the file within their first
      // seconds, before any downloader ran, are another case (docs/engine.md: the first to join is told it is alone).
      await Promise.all(pages.map(p => startDownloader(p)))
      await Promise.all(pages.map(p => until(p, 'the downloader to meet a peer', s => (s.downloader?.peers ?? 0) > 0, SLOW)))
      const mark = origin.log.length
      const got = await Promise.all(pages.map(p => fetchHash(p, url + FILE, SLOW)))
      const sent = origin.log.slice(mark).filter(e => e.url.startsWith(site.base + FILE)).reduce((n, e) => n + e.bytes, 0)
      // Who fetched what: each downloader's web seed, and the origin requests that were not a web seed's (the workers').
      const seeds = await Promise.all(pages.map(async p => (((await stats(p)).downloader?.fromOrigin ?? 0) / SIZE).toFixed(2)))
      console.log(`  ${name}: the origin sent ${(sent / SIZE).toFixed(2)} copies of the file to ${VISITORS} visitors (web seeds: ${seeds.join(' + ')}); sources: ${got.map(g => g.source).join(', ')}`)
      for (const [i, g] of got.entries()) assert.is(g.sha, SHA, `visitor ${i + 1} got the file's bytes`)
      assert.ok(sent < 2 * SIZE, `the origin sent ${(sent / SIZE).toFixed(2)} copies`)
    } finally {
      for (const p of pages) await p.context().close()
      await link.close()
      await origin.close()
      await tracker.close()
      await site.remove()
    }
  })
}

test.run()
