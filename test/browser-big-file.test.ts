// Large files and the storage budget: streamed files are kept within `maxStorage` (older files make room), and a
// file larger than `maxStorage` streams through without being kept, with bounded memory, its last bytes only after
// its SHA-256 matched. PLANKTOS_BIG_FILE_MIB=512 runs the pass-through with a 512 MiB file (a measurement: slow).
import { createHash } from 'node:crypto'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import * as assert from 'uvu/assert'
import { ALL_BROWSERS, firstVisit, HANG, within } from './helpers/browsers.ts'
import { liveMemory } from './helpers/memory.ts'
import { blob, buildSite, startOrigin, type Origin, type TestSite } from './helpers/site.ts'
import { browserSuites } from './helpers/suite.ts'

const MiB = 1024 * 1024
const MAX_STORAGE = 8 * MiB
const HUGE_MIB = Number(process.env.PLANKTOS_BIG_FILE_MIB ?? 48)
/**
 * Chromium: growth of the live JS memory (page + worker, after GC) while the huge file passes through: the
 * issue's bound for 512 MiB. At the default 48 MiB it measured 45 MiB, so only the 512 MiB run shows it bounded.
 */
const LIVE_LIMIT = 64 * MiB

/** Content that costs nothing to describe: each MiB filled from its index, so both sides can check it cheaply. */
function huge (size: number): Uint8Array {
  const out = new Uint8Array(size)
  for (let i = 0; i < size; i += MiB) out.fill((i / MiB) % 251, i, Math.min(size, i + MiB))
  out.set(blob(4096, 5), size - 4096)
  return out
}

const FILES = {
  'data/small.bin': blob(512 * 1024, 31),
  'data/first.bin': blob(3 * MiB, 32),
  'data/second.bin': blob(5 * MiB, 33),
  'data/huge.bin': huge(HUGE_MIB * MiB),
  'data/tampered.bin': blob(12 * MiB, 34)
}
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

/** What the page's store holds: bytes per file (by path), and in all. */
function storeState (page: Page): Promise<{ bytes: Record<string, number>, total: number }> {
  const shas = Object.fromEntries(Object.entries(FILES).map(([p, b]) => [sha(b), p]))
  return within(page.evaluate(async (shas) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('planktos:/')
      req.onsuccess = () => resolve(req.result)
      req.onerror = () => reject(req.error)
    })
    const records = await new Promise<Array<{ sha256: string, bytes: number }>>((resolve, reject) => {
      const get = db.transaction('files').objectStore('files').getAll()
      get.onsuccess = () => resolve(get.result as Array<{ sha256: string, bytes: number }>)
      get.onerror = () => reject(get.error)
    })
    db.close()
    const bytes: Record<string, number> = {}
    for (const r of records) bytes[shas[r.sha256] ?? r.sha256] = r.bytes
    return { bytes, total: records.reduce((n, r) => n + r.bytes, 0) }
  }, shas), 'the store\'s contents')
}

/** Reads `url` through the page without keeping it: length, per-MiB fill check, SHA-256 of the tail, or the error. */
function readThrough (page: Page, url: string): Promise<{ length: number, source: string | null, error?: string, sha?: string }> {
  return within(page.evaluate(async (url) => {
    const res = await fetch(url)
    const reader = res.body!.getReader()
    let length = 0
    let last = new Uint8Array(0)
    try {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        length += value.length
        last = value
      }
    } catch (err) {
      return { length, source: res.headers.get('X-Planktos-Source'), error: String(err) }
    }
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', last.slice(-4096)))
    return { length, source: res.headers.get('X-Planktos-Source'), sha: [...digest].map(b => b.toString(16).padStart(2, '0')).join('') }
  }, url), `read ${url}`, HANG * 8)
}

/** Waits until the store holds `path` complete. */
async function kept (page: Page, path: keyof typeof FILES): Promise<void> {
  await within((async () => {
    for (;;) {
      if ((await storeState(page)).bytes[path] === FILES[path].length) return
      await page.waitForTimeout(100)
    }
  })(), `${path} to be stored`)
}

// PLANKTOS_BROWSERS=chromium runs one browser only (for the 512 MiB measurement). Streaming bodies and IndexedDB are
// all these cases need: they run in WebKit too, where the memory bound is not measured (it takes CDP).
browserSuites<{ site: TestSite, origin: Origin }>(name => `${name}: large files and maxStorage`, ({ test, name }) => {
  test.before(async (ctx) => {
    ctx.site = await buildSite({ maxStorage: MAX_STORAGE }, FILES)
    // The origin serves other bytes for one file than the manifest says: one byte in its middle flipped.
    const file = await open(join(ctx.site.dir, 'data/tampered.bin'), 'r+')
    await file.write(Uint8Array.of(FILES['data/tampered.bin'][6 * MiB]! ^ 0xff), 0, 1, 6 * MiB)
    await file.close()
    ctx.origin = await startOrigin(ctx.site)
  })
  test.after(async (ctx) => {
    await ctx.origin?.close()
    await ctx.site?.remove()
  })

  test(`streamed files are kept within maxStorage, older ones making room`, async ({ origin, browser }) => {
    const page = await firstVisit(browser, origin.url)
    try {
      for (const path of ['data/small.bin', 'data/first.bin', 'data/second.bin'] as const) {
        const got = await readThrough(page, origin.url + path)
        assert.is(got.length, FILES[path].length)
        await kept(page, path)
        const { total } = await storeState(page)
        assert.ok(total <= MAX_STORAGE, `after ${path}: ${total} bytes stored, budget ${MAX_STORAGE}`)
      }
      const { bytes } = await storeState(page)
      // Least recently used first: the small file, then (had that not been enough) the first large one.
      assert.is(bytes['data/small.bin'], undefined, 'the oldest file made room')
      assert.is(bytes['data/first.bin'], FILES['data/first.bin'].length)
      assert.is(bytes['data/second.bin'], FILES['data/second.bin'].length)
    } finally {
      await page.context().close()
    }
  })

  test(`a file larger than maxStorage streams through unkept${name === 'chromium' ? ', with bounded memory' : ''}`, async ({ origin, browser }) => {
    const page = await firstVisit(browser, origin.url)
    try {
      await readThrough(page, origin.url + 'data/small.bin')
      await kept(page, 'data/small.bin')
      const memory = name === 'chromium' ? await liveMemory(browser, page) : undefined
      const baseline = await memory?.() ?? 0
      let peak = baseline
      let reading = true
      const sampler = (async () => {
        while (memory && reading) {
          peak = Math.max(peak, await memory())
          await new Promise(resolve => setTimeout(resolve, 200))
        }
      })()
      const path = 'data/huge.bin'
      const got = await readThrough(page, origin.url + path).finally(() => { reading = false })
      await sampler
      assert.equal(got, { length: FILES[path].length, source: 'origin', sha: sha(FILES[path].subarray(-4096)) })
      const { bytes, total } = await storeState(page)
      assert.is(bytes[path], undefined, 'none of it is stored')
      assert.is(bytes['data/small.bin'], FILES['data/small.bin'].length, 'nothing was evicted for it')
      assert.ok(total <= MAX_STORAGE)
      if (memory) {
        console.log(`${name}: ${HUGE_MIB} MiB through the worker: live JS memory (page + worker, after GC) ${((peak - baseline) / MiB).toFixed(1)} MiB above its ${(baseline / MiB).toFixed(1)} MiB baseline at most (limit ${(LIVE_LIMIT / MiB).toFixed(0)} MiB)`)
        assert.ok(peak - baseline <= LIVE_LIMIT, `live memory grew by ${peak - baseline} bytes`)
      }
    } finally {
      await page.context().close()
    }
  })

  test(`a file larger than maxStorage whose bytes are wrong fails before its last bytes`, async ({ origin, browser }) => {
    const page = await firstVisit(browser, origin.url)
    try {
      const got = await readThrough(page, origin.url + 'data/tampered.bin')
      assert.ok(got.error, 'the response errors')
      assert.ok(got.length < FILES['data/tampered.bin'].length, `${got.length} bytes were released`)
      assert.is((await storeState(page)).bytes['data/tampered.bin'], undefined)
    } finally {
      await page.context().close()
    }
  })
}, ALL_BROWSERS)
