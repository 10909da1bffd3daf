// Whole files between peers (the planktos_file extension): in a shard of small files, visitor A loads only some
// pages, so nearly every piece of their files also holds bytes of pages A never loaded and A cannot offer it.
// Visitor B loads the same pages and still gets their files from A, whole and verified, not from the origin.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { Browser } from 'playwright-core'
import { startTracker } from '../integrations/cli/tracker.ts'
import type { ShardPart } from '../runtime/shared/manifest.ts'
import { alterStored, connected, fetchHash, firstVisit, imagesLoaded, installed, launch, startDownloader, stats, until, within, type BrowserName } from './helpers/browsers.ts'
import { buildSite, gallery, pageFiles, siteFiles, startOrigin } from './helpers/site.ts'

// Long enough that the origin hedge never starts while peers are connecting: this test is about the peer path.
const PEER_TIMEOUT = 10_000
// Images of 40x40 pixels (about 4.8 KB): three files of a page and those of the next share 16 KiB pieces.
const GALLERY = gallery(6, 40)
/** Pages both visitors load; the even ones, whose files lie between theirs, nobody loads. */
const PAGES = GALLERY.pages.filter((_, i) => i % 2 === 0).map(p => p.url)


const PAIRS: Array<[BrowserName, BrowserName]> = [['chromium', 'chromium'], ['firefox', 'firefox']]
const test = suite<{ browsers: Map<BrowserName, Browser> }>('whole files from peers')

test.before(async (ctx) => {
  ctx.browsers = new Map()
  // One more try when a launch hangs: other sessions load this machine heavily.
  for (const name of new Set(PAIRS.flat())) ctx.browsers.set(name, await launch(name).catch(() => launch(name)))
})
test.after(async (ctx) => {
  for (const browser of ctx.browsers?.values() ?? []) await browser.close()
})

for (const [a, b] of PAIRS) {
  test(`${a} then ${b}: files whose pieces the first visitor cannot offer still come from its browser`, async ({ browsers }) => {
    const tracker = await startTracker({ port: 0 })
    const site = await buildSite({ announce: [tracker.url], peerTimeout: PEER_TIMEOUT }, GALLERY.files)
    const origin = await startOrigin(site)
    try {
      const files = await siteFiles(site)
      assert.is(new Set([...files.values()].map(f => f.infoHash)).size, 1, 'the site is one shard')
      const wanted = PAGES.flatMap(url => pageFiles(files, url)).filter(p => p.startsWith('gallery/'))
      // The premise: some of those files lie in pieces that also hold bytes of files A never loads.
      const part = [...files.values()]
      const { pieceLength } = JSON.parse(await readFile(join(site.dir, site.manifest.shards[0]!.part), 'utf8')) as ShardPart
      const unseen = part.filter(f => f.path.startsWith('gallery/') && !wanted.includes(f.path))
      const sharing = wanted.filter(p => {
        const f = files.get(p)!
        const [first, last] = [Math.floor(f.offset / pieceLength), Math.floor((f.offset + f.size - 1) / pieceLength)]
        return unseen.some(u => Math.floor(u.offset / pieceLength) <= last && Math.floor((u.offset + u.size - 1) / pieceLength) >= first)
      })
      assert.ok(sharing.length >= 3, `files sharing a piece with an unloaded file: ${sharing.join(', ')}`)

      const A = await firstVisit(browsers.get(a)!, origin.url)
      for (const url of PAGES) await A.goto(origin.url + url, { waitUntil: 'load' })
      await until(A, 'A to store the pages\' files', s => (s.worker?.stored ?? 0) >= wanted.length)
      await A.goto(origin.url)
      await installed(A)
      await startDownloader(A)

      const B = await firstVisit(browsers.get(b)!, origin.url)
      await startDownloader(B)
      await connected(B)
      const peersBefore = (await stats(B)).worker?.downloaders.fromPeers ?? 0
      const mark = origin.log.length
      for (const url of PAGES) {
        const res = await B.goto(origin.url + url, { waitUntil: 'load' })
        assert.is(res?.headers()['x-planktos-source'], 'peers', `where ${url} came from`)
        assert.ok(await imagesLoaded(B), `the images of ${url} load`)
        await installed(B)
        await startDownloader(B)
        await connected(B)
      }

      const asked = origin.log.slice(mark).map(e => e.url).filter(u => u.includes('gallery/'))
      assert.equal(asked, [], 'the origin served none of the pages\' files to B')
      const s = await stats(B)
      const size = wanted.reduce((n, p) => n + files.get(p)!.size, 0)
      const fromPeers = (s.worker?.downloaders.fromPeers ?? 0) - peersBefore
      assert.ok(fromPeers >= size, `bytes from peers at the wire: ${fromPeers} of the files' ${size}`)
      assert.is(s.worker?.verifyFailures, 0)
      assert.is(s.worker?.downloaders.verifyFailures, 0)
    } finally {
      await origin.close()
      await tracker.close()
      await site.remove()
    }
  })
}

for (const [a, b] of PAIRS) {
  test(`${a} then ${b}: a whole file with altered bytes is rejected, its sender cut off, and the right file served`, async ({ browsers }) => {
    const tracker = await startTracker({ port: 0 })
    const site = await buildSite({ announce: [tracker.url], peerTimeout: PEER_TIMEOUT }, GALLERY.files)
    const origin = await startOrigin(site)
    try {
      const files = await siteFiles(site)
      const url = PAGES[0]!
      const wanted = pageFiles(files, url).filter(p => p.startsWith('gallery/'))
      const A = await firstVisit(browsers.get(a)!, origin.url)
      await A.goto(origin.url + url, { waitUntil: 'load' })
      await until(A, 'A to store the page\'s files', s => (s.worker?.stored ?? 0) >= wanted.length)
      // Flip 100 bytes in the middle of A's stored copy of one image, which A's store still calls complete.
      const altered = files.get(GALLERY.pages[0]!.images[0]!)!
      await A.goto(origin.url)
      await installed(A)
      await within(alterStored(A, altered.sha256, Math.floor(altered.size / 2)), 'A\'s store to be altered')
      await startDownloader(A)

      const B = await firstVisit(browsers.get(b)!, origin.url)
      await startDownloader(B)
      await connected(B)
      const mark = origin.log.length
      // Fetched by B's page itself, so the downloader that bans A is the one whose counters are read here.
      const got = await fetchHash(B, origin.url + altered.path)
      assert.is(got.sha, altered.sha256, 'B gets the right bytes')
      const s = await stats(B)
      assert.ok((s.downloader?.verifyFailures ?? 0) >= 1, `B's downloader rejected ${s.downloader?.verifyFailures} files`)
      assert.ok((s.downloader?.banned ?? 0) >= 1, `B's downloader cut off ${s.downloader?.banned} peers`)
      assert.is(s.worker?.verifyFailures, 0, 'no file the worker checked was corrupt')
      const fetched = origin.log.slice(mark).filter(e => e.url === '/' + altered.path)
      assert.ok(fetched.length > 0, 'the origin supplied what A got wrong')
    } finally {
      await origin.close()
      await tracker.close()
      await site.remove()
    }
  })
}

test.run()
