// An origin that fails or changes under a visitor: an error status for a file the manifest lists, a deploy that
// removes a file mid-visit, and a server that ignores Range or compresses ranged answers (the page's web seed falls
// back to whole files and says so). The visitor gets what the site would give without planktos, never stale bytes.
import { createHash } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as esbuild from 'esbuild'
import * as assert from 'uvu/assert'
import type { Page } from 'playwright-core'
import { build } from '../integrations/builder/index.ts'
import { firstVisit, pageFetch, stats, visitor, within } from './helpers/browsers.ts'
import { startProxy, type Proxy } from './helpers/proxy.ts'
import { blob, buildSite, siteFiles, startOrigin, TEST_OPTIONS, type TestSite } from './helpers/site.ts'
import { browserSuites } from './helpers/suite.ts'

const BLOB = blob(300_000, 7)
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

/** runtime/page/web-seed.ts as the page runs it, with its fetchRange() on window for the test to call. */
async function webSeedScript (): Promise<string> {
  const root = fileURLToPath(new URL('..', import.meta.url))
  const out = await esbuild.build({
    stdin: { contents: "import { fetchRange } from './runtime/page/web-seed.ts'; (window as any).fetchRange = fetchRange", resolveDir: root, loader: 'ts' },
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    logLevel: 'silent'
  })
  return out.outputFiles[0]!.text
}

/** Calls the web seed's fetchRange on `page` for bytes [start, end) of the blob; returns their SHA-256. */
function rangeHash (page: Page, file: { path: string, size: number, sha256: string }, start: number, end: number): Promise<string> {
  return within(page.evaluate(async ({ file, start, end }) => {
    const part = { version: 1, infoHash: '0'.repeat(40), pieceLength: 16384, files: [{ ...file, type: 'application/octet-stream', offset: 0 }] }
    const store = { read: async () => undefined }
    const fetchRange = (window as unknown as { fetchRange: (...a: unknown[]) => Promise<Uint8Array> }).fetchRange
    const bytes = await fetchRange(part, '/', start, end, store, { fromOrigin: 0 })
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>))
    return [...digest].map(b => b.toString(16).padStart(2, '0')).join('')
  }, { file, start, end }), 'fetchRange')
}

browserSuites<{ site: TestSite, script: string }>(name => `${name}: a faulty origin`, ({ test, own, cleanup }) => {
  test.before(async (ctx) => {
    ctx.site = await buildSite({}, { 'data/blob.bin': BLOB })
    ctx.script = await webSeedScript()
  })
  test.after(async (ctx) => {
    await ctx.site?.remove()
  })

  test('a listed file answering 500 reaches the page as that 500, unstored, and is served once the origin recovers', async ({ browser, site }) => {
    const origin = own(await startOrigin(site))
    const proxy = own(await startProxy(origin))
    let failing = true
    proxy.handler = (req, res) => {
      if (!failing || req.url !== '/notes/a.txt') return false
      res.writeHead(500, { 'Content-Type': 'text/plain' }).end('boom')
      return true
    }
    const page = await firstVisit(browser, proxy.url)
    own(page.context())
    const broken = await pageFetch(page, proxy.url + 'notes/a.txt')
    assert.equal([broken.status, broken.text], [500, 'boom'], "the page gets the origin's own error")
    failing = false
    const ok = await pageFetch(page, proxy.url + 'notes/a.txt')
    assert.equal([ok.status, ok.source, ok.text], [200, 'origin', 'plain text a\n'])
    const again = await pageFetch(page, proxy.url + 'notes/a.txt')
    assert.equal([again.status, again.source, again.text], [200, 'store', 'plain text a\n'], 'the error was not stored; the good answer was')
  })

  for (const warm of [true, false]) {
    test(`a deploy mid-visit${warm ? '' : ', before the worker read the shard list'}: a removed file reaches the page as the 404, the worker re-reads the manifest, and serves a file the deploy added`, async ({ browser }) => {
      const changing = await buildSite()
      cleanup.push(() => changing.remove())
      const origin = own(await startOrigin(changing))
      const page = await firstVisit(browser, origin.url)
      own(page.context())
      // Warm: the worker has the old shard list, so it asks the origin for the file. Cold (the deploy may come before the
      // worker reads it): the old list itself is gone from the origin.
      if (warm) assert.is((await pageFetch(page, origin.url + 'style.css')).status, 200)
      // The new deploy, built in place while the visitor's worker still holds the old manifest.
      await rm(join(changing.dir, 'notes', 'a.txt'))
      await writeFile(join(changing.dir, 'notes', 'added.txt'), 'added by the deploy\n')
      await build(changing.dir, TEST_OPTIONS)
      const reads = origin.requests('planktos/manifest.json').length
      const gone = await pageFetch(page, origin.url + 'notes/a.txt')
      assert.equal([gone.status, gone.source], [404, null], "the origin's 404, as without planktos")
      await within((async () => {
        while (origin.requests('planktos/manifest.json').length === reads) await page.waitForTimeout(50)
      })(), 'the worker to re-read the manifest')
      // Only the new manifest lists this file, so only a worker that took it up answers (and verifies) it. An open
      // page keeps the build it loaded with (no page mixes two deploys): the next navigation takes up the new one.
      await page.goto(origin.url)
      await within((async () => {
        for (;;) {
          const added = await pageFetch(page, origin.url + 'notes/added.txt')
          assert.equal([added.status, added.text], [200, 'added by the deploy\n'])
          if (added.source === 'origin') return
          await page.waitForTimeout(100)
        }
      })(), 'the worker to answer a file only the new manifest lists')
    })
  }

  for (const fault of ['ignores Range', 'compresses ranged answers'] as const) {
    test(`when the origin ${fault}, the web seed fetches whole files, warns once, and returns the right bytes`, async ({ browser, site, script }) => {
      const origin = own(await startOrigin(site))
      const proxy = own(await startProxy(origin))
      const files = await siteFiles(site)
      const entry = files.get('data/blob.bin')!
      proxy.handler = async (req, res, fetchUpstream) => {
        if (req.url === '/__harness.html') {
          res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>web seed</title><script src="/__harness.js"></script>')
          return true
        }
        if (req.url === '/__harness.js') {
          res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(script)
          return true
        }
        if (req.url !== '/data/blob.bin') return false
        const range = req.headers.range
        // The whole file, whatever the request asked for (never a 304: this server ignores validators too).
        const whole = await fetchUpstream(h => { delete h.range; delete h['if-none-match']; delete h['if-modified-since'] })
        if (fault === 'ignores Range' || !range) {
          const body = fault === 'ignores Range' ? whole.body : gzipSync(whole.body)
          res.writeHead(200, { 'Content-Type': 'application/octet-stream', ...(fault === 'ignores Range' ? {} : { 'Content-Encoding': 'gzip' }) }).end(body)
          return true
        }
        // A range of the gzip-encoded file, as a server that compresses before slicing sends it.
        const gz = gzipSync(whole.body)
        const [, a, b] = /bytes=(\d+)-(\d+)/.exec(range)!
        const start = Number(a)
        const end = Math.min(Number(b), gz.length - 1)
        res.writeHead(206, { 'Content-Type': 'application/octet-stream', 'Content-Encoding': 'gzip', 'Content-Range': `bytes ${start}-${end}/${gz.length}` }).end(gz.subarray(start, end + 1))
        return true
      }
      const page = await (own(await visitor(browser))).newPage()
      const warnings: string[] = []
      page.on('console', m => { if (m.type() === 'warning' && m.text().startsWith('planktos:')) warnings.push(m.text()) })
      await page.goto(`http://127.0.0.1:${proxy.port}/__harness.html`)
      const file = { path: 'data/blob.bin', size: entry.size, sha256: entry.sha256 }
      for (const [start, end] of [[100_000, 116_384], [200_000, 216_384], [290_000, 300_000]] as const) {
        assert.is(await rangeHash(page, file, start, end), sha(BLOB.subarray(start, end)), `bytes ${start}-${end}`)
      }
      const asked = proxy.seen.filter(r => r.url === '/data/blob.bin')
      assert.ok(asked[0]!.range, 'the first request asked for a range')
      assert.ok(asked.slice(1).every(r => r.range === null), `then whole files only: ${JSON.stringify(asked)}`)
      await within((async () => { while (warnings.length === 0) await page.waitForTimeout(50) })(), 'the warning')
      assert.is(warnings.length, 1, warnings.join('\n'))
      assert.match(warnings[0]!, fault === 'ignores Range' ? /ignores Range/ : /compresses ranged/)
    })
  }

  test('with an origin that honours Range (and answers a range of a whole file with 200), the web seed asks for ranges and never warns', async ({ browser, site, script }) => {
    const origin = own(await startOrigin(site))
    const proxy: Proxy = own(await startProxy(origin))
    proxy.handler = async (req, res, fetchUpstream) => {
      if (req.url === '/__harness.html') res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>web seed</title><script src="/__harness.js"></script>')
      else if (req.url === '/__harness.js') res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(script)
      else if (req.url === '/notes/a.txt') {
        // RFC 9110 lets a server send the whole representation with 200 for any range.
        const whole = await fetchUpstream(h => { delete h.range; delete h['if-none-match']; delete h['if-modified-since'] })
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end(whole.body)
      } else return false
      return true
    }
    const files = await siteFiles(site)
    const entry = files.get('data/blob.bin')!
    const note = files.get('notes/a.txt')!
    const page = await (own(await visitor(browser))).newPage()
    const warnings: string[] = []
    page.on('console', m => { if (m.type() === 'warning') warnings.push(m.text()) })
    await page.goto(`http://127.0.0.1:${proxy.port}/__harness.html`)
    assert.is(await rangeHash(page, { path: 'notes/a.txt', size: note.size, sha256: note.sha256 }, 0, note.size), note.sha256, 'a whole small file')
    const file = { path: 'data/blob.bin', size: entry.size, sha256: entry.sha256 }
    assert.is(await rangeHash(page, file, 100_000, 116_384), sha(BLOB.subarray(100_000, 116_384)))
    assert.is(await rangeHash(page, file, 200_000, 216_384), sha(BLOB.subarray(200_000, 216_384)))
    const asked = origin.log.filter(e => e.url === '/data/blob.bin')
    assert.equal(asked.map(e => [e.status, e.bytes]), [[206, 16_384], [206, 16_384]])
    assert.equal(warnings, [])
  })
})
