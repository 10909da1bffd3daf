// Visibility: `planktos.stats()` agrees with the origin's request log after a two-visitor run; the `stats` event
// fires as counters change; the debug overlay shows them, and a file name holding markup shows as text.
import * as assert from 'uvu/assert'
import type { Page } from 'playwright-core'
import { startTracker } from '../integrations/cli/tracker.ts'
import type { StatsDetail } from '../runtime/shared/messages.ts'
import { connected, firstVisit, installed, pageFetch, startDownloader, stats, until, within } from './helpers/browsers.ts'
import { buildSite, gallery, pageFiles, siteFiles, startOrigin, type Origin } from './helpers/site.ts'
import { browserSuites, originSiteBytes } from './helpers/suite.ts'

// Large images (192 KiB each): a piece counted at the wire twice (received by a page that went away before keeping it,
// then fetched again by the next) is 16 KiB, 1.4% of what the second visitor needs here, and 10% on the small site.
const GALLERY = gallery(3, 256)
const PAGES = ['', 'about/', ...GALLERY.pages.map(p => p.url)]
const HOSTILE = '<img src=x onerror=alert(1)>.txt'
const EXTRA = { ...GALLERY.files, [`notes/${HOSTILE}`]: 'a file whose name is markup\n' }
const hostileUrl = (origin: Origin): string => origin.url + 'notes/' + encodeURIComponent(HOSTILE)

/** What the overlay shows, and whether anything outside text got in. */
function overlay (page: Page): Promise<{ text: string, elements: string[], injected: number }> {
  return within(page.evaluate(() => {
    const root = document.getElementById('planktos-overlay')?.shadowRoot
    return {
      text: root?.textContent ?? '',
      elements: [...new Set([...root?.querySelectorAll('*') ?? []].map(e => e.localName))].sort(),
      injected: document.querySelectorAll('img[src="x"]').length
    }
  }), 'the overlay')
}

/** Waits until the overlay's text contains `text`. */
function overlayShows (page: Page, text: string): Promise<unknown> {
  return page.waitForFunction((text) => document.getElementById('planktos-overlay')?.shadowRoot?.textContent?.includes(text), text)
}

browserSuites(name => `stats and overlay in ${name}`, ({ test, name }) => {
  test('after a two-visitor run, the second visitor\'s peer bytes are the bytes the origin did not serve', async ({ browser }) => {
    const tracker = await startTracker({ port: 0 })
    // Long enough that the origin hedge never starts while peers are connecting.
    const site = await buildSite({ announce: [tracker.url], peerTimeout: 10_000 }, EXTRA)
    const origin = await startOrigin(site)
    try {
      const files = await siteFiles(site)
      const A = await firstVisit(browser, origin.url)
      for (const url of PAGES.slice(1)) await A.goto(origin.url + url)
      const aFiles = new Set(PAGES.flatMap(url => pageFiles(files, url)))
      await until(A, 'A to store every file it loaded', s => (s.worker?.stored ?? 0) >= aFiles.size)
      await installed(A)

      const B = await firstVisit(browser, origin.url)
      // A reader staying on a first page: its downloader would start after install.js's STAY.
      await startDownloader(B)
      await connected(B)
      const mark = origin.log.length
      const before = (await stats(B)).worker!
      for (const url of PAGES.slice(1)) {
        await B.goto(origin.url + url)
        await installed(B)
        await connected(B)
      }
      const after = (await stats(B)).worker!

      const first = new Set(pageFiles(files, ''))
      const needed = [...new Set(PAGES.slice(1).flatMap(url => pageFiles(files, url)))].filter(p => !first.has(p))
      const neededBytes = needed.reduce((n, p) => n + files.get(p)!.size, 0)
      const notFromOrigin = neededBytes - originSiteBytes(origin, site.base, mark)
      const peers = after.downloaders.fromPeers - before.downloaders.fromPeers
      console.log(`  ${name}: B needed ${neededBytes} bytes after its first page, the origin did not serve ${notFromOrigin} of them, ` +
        `stats() counts ${peers} bytes from peers (${(100 * (peers - notFromOrigin) / neededBytes).toFixed(2)}% of what B needed)`)
      assert.ok(peers >= neededBytes / 2, `most of B's bytes came from peers (${peers} of ${neededBytes})`)
      assert.ok(Math.abs(peers - notFromOrigin) <= 0.05 * neededBytes, `peer bytes ${peers} vs bytes the origin did not serve ${notFromOrigin}`)
      await A.context().close()
      await B.context().close()
    } finally {
      await origin.close()
      await tracker.close()
      await site.remove()
    }
  })

  test('the stats event fires when counters change, with the totals', async ({ browser }) => {
    const site = await buildSite({}, EXTRA)
    const origin = await startOrigin(site)
    try {
      const files = await siteFiles(site)
      const page = await firstVisit(browser, origin.url)
      // The `stats` event comes from the downloader, which a first page starts only after install.js's STAY.
      await startDownloader(page)
      await page.evaluate(() => {
        const w = window as unknown as { planktos: EventTarget, seen: StatsDetail[] }
        w.seen = []
        w.planktos.addEventListener('stats', e => w.seen.push((e as CustomEvent<StatsDetail>).detail))
      })
      // The first page's own files are fetched and stored by the worker in the background (the page's 'seen'
      // message); they are done first, so the two answers below are the latest in the recent list.
      await until(page, "the first page's files to be stored", s => (s.worker?.stored ?? 0) >= pageFiles(files, '').length)
      // Once from the origin (the worker stores it), once from the store.
      await pageFetch(page, origin.url + 'notes/a.txt')
      await until(page, 'notes/a.txt to be stored', s => (s.worker?.stored ?? 0) >= pageFiles(files, '').length + 1)
      const stored = await pageFetch(page, origin.url + 'notes/a.txt')
      assert.is(stored.source, 'store')
      const size = files.get('notes/a.txt')!.size
      const last = await within(page.evaluate((size) => new Promise<StatsDetail>(resolve => {
        const w = window as unknown as { seen: StatsDetail[] }
        const check = (): void => {
          const d = w.seen.at(-1)
          if (d && d.recent[0]?.path === 'notes/a.txt' && d.recent[0].source === 'store' && d.store >= size) resolve(d)
          else setTimeout(check, 50)
        }
        check()
      }), size), 'a stats event after the store answered')
      const s = await stats(page)
      assert.is(last.store, s.worker!.bytes.store, 'bytes from the store')
      assert.is(last.origin, s.worker!.bytes.origin + s.worker!.downloaders.fromOrigin, 'bytes from the origin')
      assert.is(last.peers, 0)
      assert.is(last.verifyFailures, 0)
      assert.ok(last.shards >= 1, 'the downloader joined the shard of the files it holds')
      assert.equal(last.recent.slice(0, 2), [{ path: 'notes/a.txt', source: 'store' }, { path: 'notes/a.txt', source: 'origin' }])
      // Throttled: a burst of changes gives a few events, not one per change.
      const count = await page.evaluate(() => (window as unknown as { seen: unknown[] }).seen.length)
      assert.ok(count >= 1 && count < 20, `${count} events`)
      await page.context().close()
    } finally {
      await origin.close()
      await site.remove()
    }
  })

  test('#planktos-debug shows the overlay, and a file named as markup shows as text', async ({ browser }) => {
    const site = await buildSite({}, EXTRA)
    const origin = await startOrigin(site)
    try {
      const page = await firstVisit(browser, origin.url + '#planktos-debug')
      const dialogs: string[] = []
      page.on('dialog', d => {
        dialogs.push(d.message())
        void d.dismiss()
      })
      const res = await pageFetch(page, hostileUrl(origin))
      assert.is(res.status, 200)
      await overlayShows(page, HOSTILE)
      const shown = await overlay(page)
      assert.ok(shown.text.includes(`origin notes/${HOSTILE}`), shown.text)
      assert.equal(shown.elements, ['b', 'button', 'div', 'li', 'span', 'style', 'ul'], 'only the overlay\'s own elements')
      // No element but the overlay's own exists, so no injected handler is left that could fire later.
      assert.is(shown.injected, 0, 'no <img src=x> in the document')
      assert.equal(dialogs, [])
      await page.context().close()
    } finally {
      await origin.close()
      await site.remove()
    }
  })

  test('the debug option shows the overlay without #planktos-debug; without either there is none', async ({ browser }) => {
    const site = await buildSite({ debug: true })
    const plain = await buildSite({})
    const origin = await startOrigin(site)
    const other = await startOrigin(plain)
    try {
      const page = await firstVisit(browser, origin.url)
      await overlayShows(page, 'planktos')
      const quiet = await firstVisit(browser, other.url)
      // Without either, a first page's downloader starts only after install.js's STAY: start it, then look.
      await startDownloader(quiet)
      await until(quiet, 'the downloader to run', s => s.downloader !== undefined)
      assert.is((await overlay(quiet)).text, '')
      await page.context().close()
      await quiet.context().close()
    } finally {
      await origin.close()
      await other.close()
      await site.remove()
      await plain.remove()
    }
  })
})
