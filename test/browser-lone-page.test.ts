// A visitor alone in a file's swarm: its page fetches a large file through its own web seed (so that visitors who
// join a moment later can take the pieces from it), but only as the response reads. A page that reads the start of
// a 16 MiB file and stops costs the origin a small part of it, not the whole file (the first attempt at this,
// branch k11, selected the whole file and fetched it all). In Chromium and Firefox.
import * as assert from 'uvu/assert'
import { startTracker } from '../integrations/cli/tracker.ts'
import { BROWSERS, firstVisit, stats, until, within, type BrowserName } from './helpers/browsers.ts'
import { blob, buildSite, startOrigin } from './helpers/site.ts'
import { browsersSuite } from './helpers/suite.ts'

const MIB = 1024 * 1024
const SIZE = 16 * MIB
const FILE = 'data/big.bin'
/**
 * What reading the start may cost: the page's first pieces (256 KiB), then, as the browser reads the worker's
 * response ahead of the page, a pulled chunk (1 MiB) and the page's window of a group (1 MiB) more, once or twice.
 * The whole file is four times this.
 */
const AT_MOST = SIZE / 4

const test = browsersSuite('a visitor alone in the swarm')

for (const name of BROWSERS) {
  test(`${name}: a page alone in the swarm that reads only the start of a large file costs the origin a small part of it`, async ({ browsers }) => {
    const tracker = await startTracker({ port: 0 })
    const site = await buildSite({ announce: [tracker.url], peerTimeout: 1500 }, { [FILE]: blob(SIZE, 41) })
    const origin = await startOrigin(site)
    try {
      const page = await firstVisit(browsers.get(name)!, origin.url)
      const mark = origin.log.length
      const ended = (await stats(page)).worker!.ended
      // As a media element loading its metadata: the first bytes, then nothing more.
      const read = await within(page.evaluate(async (url) => {
        const res = await fetch(url, { headers: { Range: 'bytes=0-' } })
        const reader = res.body!.getReader()
        const { value } = await reader.read()
        await reader.cancel()
        return value!.length
      }, origin.url + FILE), 'the first bytes')
      assert.ok(read > 0 && read < SIZE, `the page read ${read} bytes`)
      // Once the worker's download has ended (nobody reads), nothing more is asked for.
      const after = await until(page, 'the download to end', s => (s.worker?.ended ?? 0) > ended)
      const sent = origin.log.slice(mark).filter(e => e.url === '/' + FILE)
      const bytes = sent.reduce((n, e) => n + e.bytes, 0)
      console.log(`  ${name}: the origin sent ${(bytes / MIB).toFixed(2)} MiB of the ${SIZE / MIB} MiB file (${sent.length} requests)`)
      // The page's own web seed fetched the bytes: the case under test, not the worker's origin path.
      assert.ok((after.downloader?.fromOrigin ?? 0) > 0, 'the page fetched the start through its web seed')
      assert.ok(bytes <= AT_MOST, `bytes of the file the origin sent: ${bytes} (${JSON.stringify(sent)})`)
    } finally {
      for (const c of browsers.get(name)!.contexts()) await c.close()
      await origin.close()
      await tracker.close()
      await site.remove()
    }
  })
}

test.run()
