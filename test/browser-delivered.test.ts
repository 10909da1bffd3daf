// The worker's byte counters count what a response delivered, not the range it was asked for: a media player
// opens an open-ended range and cancels it after a few chunks (WebKit's does so all the time), and counting the
// whole range made the stats claim megabytes the origin never sent.
import * as assert from 'uvu/assert'
import type { Page } from 'playwright-core'
import { ALL_BROWSERS, firstVisit, pageFetch, stats, until, within } from './helpers/browsers.ts'
import { blob, buildSite, startOrigin } from './helpers/site.ts'
import { browserSuites } from './helpers/suite.ts'

const SIZE = 16 * 1024 * 1024
const BIG = blob(SIZE, 9)
const FILE = 'data/big.bin'

/** Asks for `bytes=0-` of `url`, reads at least `want` bytes, cancels, and says how many bytes the page read. */
function readThenCancel (page: Page, url: string, want: number): Promise<number> {
  return within(page.evaluate(async ([url, want]) => {
    const res = await fetch(url, { headers: { Range: 'bytes=0-' }, cache: 'no-store' })
    const reader = res.body!.getReader()
    let read = 0
    while (read < want) {
      const { value, done } = await reader.read()
      if (done) break
      read += value.length
    }
    await reader.cancel()
    return read
  }, [url, want] as const), `part of ${url}`)
}

const sum = (b: { store: number, peers: number, origin: number }): number => b.store + b.peers + b.origin

browserSuites(name => `${name}: bytes counted as delivered`, ({ test, own, ownSite }) => {
  test('a cancelled open-ended range counts the bytes it delivered, from the origin and from the store', async ({ browser }) => {
    const site = ownSite(await buildSite({}, { [FILE]: BIG }))
    const origin = own(await startOrigin(site))
    const page = await firstVisit(browser, origin.url)
    own(page.context())
    const url = origin.url + FILE

    const before = (await stats(page)).worker!
    const fromOrigin = await readThenCancel(page, url, 256 * 1024)
    const afterOrigin = (await stats(page)).worker!
    const counted = afterOrigin.bytes.origin - before.bytes.origin
    assert.ok(counted >= fromOrigin, `counted ${counted} of the ${fromOrigin} bytes the page read`)
    // The browser reads ahead of the page by a bounded buffer, far less than the rest of a 16 MiB file.
    assert.ok(counted < SIZE / 2, `origin bytes counted for a cancelled range: ${counted} of ${SIZE}`)

    // Stored whole (the page reads it all), then the same cancelled range again, from the store.
    const storedFiles = (await stats(page)).worker!.stored
    assert.is((await pageFetch(page, url)).source, 'origin')
    await until(page, 'the file to be stored', s => (s.worker?.stored ?? 0) > storedFiles)
    const stored = (await stats(page)).worker!
    const fromStore = await readThenCancel(page, url, 256 * 1024)
    const afterStore = (await stats(page)).worker!
    const fromStoreCounted = afterStore.bytes.store - stored.bytes.store
    assert.ok(fromStoreCounted >= fromStore, `counted ${fromStoreCounted} of the ${fromStore} bytes the page read`)
    assert.ok(fromStoreCounted < SIZE / 2, `store bytes counted for a cancelled range: ${fromStoreCounted} of ${SIZE}`)
    assert.ok(sum(afterStore.bytes) - sum(stored.bytes) === fromStoreCounted, 'nothing counted under another source')
  })
}, ALL_BROWSERS)
