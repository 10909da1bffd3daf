// What the worker trusts and what it touches, in real browsers, for a site under /docs/: requests that try to climb
// out of the site or name something the manifest does not list go to the network untouched; the worker's scope is
// exactly the base; a manifest, shard list or piece hashes that were tampered with are refused; a stored file altered
// behind the worker's back is caught before it reaches a page; the page hears only planktos' own worker.
import { createHash } from 'node:crypto'
import * as assert from 'uvu/assert'
import type { Browser, Page } from 'playwright-core'
import { startTracker } from '../integrations/cli/tracker.ts'
import { firstVisit, installed, pageFetch, startDownloader, stats, stay, until, within } from './helpers/browsers.ts'
import { startProxy, type Proxy } from './helpers/proxy.ts'
import { buildSite, siteFiles, startOrigin, type Origin, type TestSite } from './helpers/site.ts'
import { browserSuites } from './helpers/suite.ts'

const BASE = '/docs/'

/** A worker of the same origin under another scope, posting planktos' messages to every page it can reach. */
const EVIL_WORKER = `self.addEventListener('install', () => self.skipWaiting())
self.addEventListener('message', e => e.waitUntil(self.clients.matchAll({ includeUncontrolled: true, type: 'window' }).then(all => {
  for (const c of all) { c.postMessage({ type: 'update-waiting' }); c.postMessage({ type: 'probe' }) }
})))`

/** Overwrites the first 16 bytes of a stored file in the visitor's store, behind the worker's back. */
function tamper (page: Page, sha256: string): Promise<void> {
  return within(page.evaluate(async ({ sha256, name }) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(name)
      req.onsuccess = () => resolve(req.result)
      req.onerror = () => reject(req.error)
    })
    const tx = db.transaction('segments', 'readwrite')
    const segments = tx.objectStore('segments')
    const keys = await new Promise<IDBValidKey[]>(resolve => { const r = segments.getAllKeys(IDBKeyRange.bound([sha256], [sha256, []])); r.onsuccess = () => resolve(r.result) })
    if (keys.length === 0) throw new Error('the file is not stored')
    const bytes = await new Promise<Uint8Array>(resolve => { const r = segments.get(keys[0]!); r.onsuccess = () => resolve(r.result as Uint8Array) })
    bytes.set(new TextEncoder().encode('/* tampered! */ '.slice(0, Math.min(16, bytes.length))))
    segments.put(bytes, keys[0]!)
    await new Promise(resolve => { tx.oncomplete = resolve })
    db.close()
  }, { sha256, name: `planktos:${BASE}` }), 'the store to be altered')
}

/** A part with its first file a byte longer: still a well-formed part, for another infohash. */
function alterPart (part: unknown): unknown {
  const p = structuredClone(part) as { files: Array<{ size: number }> }
  p.files[0]!.size++
  return p
}

/** Piece hashes (as a byte list) with their first bit flipped. */
function alterPieces (bytes: unknown): unknown {
  const b = [...bytes as number[]]
  b[0]! ^= 1
  return b
}

/** The visitor's store's meta records whose key starts with `prefix`, by key; byte strings come as number lists. */
function storedMeta (page: Page, prefix: string): Promise<Record<string, unknown>> {
  return within(page.evaluate(async ({ name, prefix }) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(name)
      req.onsuccess = () => resolve(req.result)
      req.onerror = () => reject(req.error)
    })
    const meta = db.transaction('meta').objectStore('meta')
    const get = <R>(r: IDBRequest<R>): Promise<R> => new Promise(resolve => { r.onsuccess = () => resolve(r.result) })
    const out: Record<string, unknown> = {}
    for (const key of (await get(meta.getAllKeys())).filter(k => String(k).startsWith(prefix))) {
      const value = await get(meta.get(key)) as unknown
      out[String(key)] = value instanceof Uint8Array ? [...value] : value
    }
    db.close()
    return out
  }, { name: `planktos:${BASE}`, prefix }), 'the store\'s meta to be read')
}

/** Writes meta records into the visitor's store, behind its pages' and worker's backs; number lists as byte strings. */
function putMeta (page: Page, records: Record<string, unknown>): Promise<void> {
  if (Object.keys(records).length === 0) throw new Error('nothing to write: no such record is stored')
  return within(page.evaluate(async ({ name, records }) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(name)
      req.onsuccess = () => resolve(req.result)
      req.onerror = () => reject(req.error)
    })
    const tx = db.transaction('meta', 'readwrite')
    for (const [key, value] of Object.entries(records)) tx.objectStore('meta').put(Array.isArray(value) ? new Uint8Array(value) : value, key)
    await new Promise(resolve => { tx.oncomplete = resolve })
    db.close()
  }, { name: `planktos:${BASE}`, records }), 'the store\'s meta to be written')
}

/** `records` with `change` applied to every value. */
const mapValues = (records: Record<string, unknown>, change: (v: unknown) => unknown): Record<string, unknown> =>
  Object.fromEntries(Object.entries(records).map(([k, v]) => [k, change(v)]))

browserSuites<{ site: TestSite }>(name => `${name}: trust and scope under ${BASE}`, ({ test, name, own, ownSite }) => {
  /** A fresh origin (a new port is a new origin: a new worker and store) and a visitor whose page it controls. */
  const visit = async (browser: Browser, site: TestSite, edit?: (p: Proxy) => void): Promise<{ origin: Origin, proxy: Proxy, page: Page }> => {
    const origin = own(await startOrigin(site))
    const proxy = own(await startProxy(origin))
    edit?.(proxy)
    const page = await firstVisit(browser, proxy.url)
    own(page.context())
    return { origin, proxy, page }
  }

  /** A visitor on a site with a tracker whose first page is stored and whose downloader joined that page's shard. */
  const joinedVisit = async (browser: Browser): Promise<Page> => {
    const tracker = own(await startTracker({ port: 0 }))
    const site = ownSite(await buildSite({ base: BASE, announce: [tracker.url] }))
    const { page } = await visit(browser, site)
    await stay(page)
    await until(page, 'the first page to be stored', s => (s.worker?.stored ?? 0) >= 3)
    await until(page, 'the shard to be joined', s => s.downloader?.torrents === 1)
    return page
  }

  /** The visitor's next page, with its downloader started. */
  const nextPage = async (page: Page): Promise<void> => {
    await page.reload()
    await installed(page)
    await startDownloader(page)
  }

  /** Waits until the visitor's meta records under `prefix` are (or, with `not`, are no longer) `expected`. */
  const metaBecomes = (page: Page, prefix: string, expected: Record<string, unknown>, what: string, not = false): Promise<void> =>
    within((async () => {
      while ((JSON.stringify(await storedMeta(page, prefix)) === JSON.stringify(expected)) === not) await page.waitForTimeout(100)
    })(), what)

  test.before(async (ctx) => {
    ctx.site = await buildSite({ base: BASE })
  })
  test.after(async (ctx) => {
    await ctx.site?.remove()
  })

  test('encoded dot segments, backslashes and double encoding never reach a file: the origin answers them', async ({ browser, site }) => {
    const { origin, proxy, page } = await visit(browser, site)
    // Ways to write "../../" or a separator that some layer might decode; notes/a.txt is a real file of the site.
    for (const path of [
      'notes/%2e%2e/%2e%2e/secret.txt', 'notes/.%2E/a.txt', 'notes%2fa.txt', 'notes%5ca.txt', 'notes\\..\\..\\secret.txt',
      'notes/%252e%252e/a.txt', 'notes%252fa.txt', 'notes%255ca.txt', 'notes/a.txt%00', 'notes//a.txt', '%2e%2e%2fsecret.txt'
    ]) {
      const mark = origin.log.length
      const r = await pageFetch(page, proxy.url + path)
      assert.is(r.source, null, `${path} was not answered by the worker`)
      assert.ok(origin.log.slice(mark).length > 0, `${path} reached the origin`)
      assert.not.equal(r.text, 'plain text a\n', `${path} is not notes/a.txt`)
    }
    // Control: the plain URL is the worker's.
    assert.is((await pageFetch(page, proxy.url + 'notes/a.txt')).source, 'origin')
    // Only the requests the test made itself left the base.
    assert.ok(origin.log.every(e => e.url.startsWith(BASE) || e.url === '/secret.txt' || e.url === '/favicon.ico'), origin.log.map(e => e.url).join(' '))
  })

  test('pages not in the manifest, HEAD and PUT requests are left to the origin', async ({ browser, site }) => {
    const { origin, proxy, page } = await visit(browser, site)
    const url = proxy.url
    const dynamic = await pageFetch(page, url + 'search/results?q=x')
    assert.is(dynamic.source, null)
    const rendered = await pageFetch(page, url + 'rendered/on-demand/')
    assert.equal([rendered.status, rendered.source], [404, null])
    assert.ok(origin.log.some(e => e.url === BASE + 'rendered/on-demand/'), 'the origin got the on-demand page')
    for (const method of ['HEAD', 'PUT']) {
      const r = await pageFetch(page, url + 'notes/a.txt', { method })
      assert.is(r.source, null, method)
      assert.ok(origin.log.some(e => e.method === method), `the origin got the ${method}`)
    }
  })

  test(`the worker's scope is exactly ${BASE}: /docs-old/ and other apps on the origin are never touched`, async ({ browser, site }) => {
    const { origin, proxy, page } = await visit(browser, site)
    const root = `http://127.0.0.1:${proxy.port}`
    const scope = await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.scope)
    assert.is(scope, `${root}${BASE}`)
    for (const path of ['/docs-old/notes/a.txt', '/docs', '/docsnotes/a.txt', '/other-app/api?x=1', '/notes/a.txt']) {
      const mark = origin.log.length
      const r = await pageFetch(page, root + path)
      assert.is(r.source, null, path)
      assert.ok(origin.log.slice(mark).some(e => e.url === path), `${path} reached the origin as asked`)
    }
    const other = await page.context().newPage()
    await other.goto(root + '/docs-old/')
    assert.is(await other.evaluate(() => navigator.serviceWorker.controller), null, 'a page of /docs-old/ is not controlled')
    const registrations = await other.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).map(r => r.scope))
    assert.equal(registrations, [`${root}${BASE}`], 'the only registration is the base\'s')
  })

  test('a manifest whose shard list points outside the base is refused: every file comes from the origin as without planktos', async ({ browser, site }) => {
    const { origin, proxy, page } = await visit(browser, site, proxy => {
      proxy.handler = async (req, res, fetchUpstream) => {
        if (req.url !== BASE + 'planktos/manifest.json') return false
        const up = await fetchUpstream(h => { delete h['if-none-match']; delete h['if-modified-since'] })
        const manifest = JSON.parse(up.body.toString())
        for (const shard of manifest.shards) shard.part = '../../outside/' + shard.part
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(manifest))
        return true
      }
    })
    const r = await pageFetch(page, proxy.url + 'notes/a.txt')
    assert.equal([r.status, r.source, r.text], [200, null, 'plain text a\n'])
    // The downloader refuses the manifest too, so it never starts: nothing is left that could ask for a part later.
    const refused = await startDownloader(page).then(() => 'started', (e: Error) => e.message)
    assert.match(refused, 'the site manifest is unavailable')
    assert.ok(origin.log.every(e => e.url.startsWith(BASE) || e.url === '/favicon.ico'), `nothing outside the base: ${origin.log.map(e => e.url).filter(u => !u.startsWith(BASE)).join(', ')}`)
  })

  test('a shard list with an entry that climbs out of the site is refused whole: its files come from the origin', async ({ browser, site }) => {
    const { origin, proxy, page } = await visit(browser, site, proxy => {
      proxy.handler = async (req, res, fetchUpstream) => {
        if (!req.url?.startsWith(BASE + 'planktos/p/')) return false
        const up = await fetchUpstream(h => { delete h['if-none-match']; delete h['if-modified-since'] })
        const part = JSON.parse(up.body.toString())
        part.files[0].path = '../../outside.txt'
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(part))
        return true
      }
    })
    for (const path of ['notes/a.txt', 'style.css']) {
      const r = await pageFetch(page, proxy.url + path)
      assert.equal([r.status, r.source], [200, null], `${path} is left to the origin`)
    }
    await startDownloader(page)
    // The downloader joins only shards holding files the visitor has, and the worker asks it only for shards it
    // accepted: with none of the refused shard's files stored, it has nothing to join, now or later.
    const after = await stats(page)
    assert.is(after.worker?.stored, 0, 'no file of the refused shard was stored')
    assert.is(after.downloader?.torrents, 0, 'the downloader joined no shard')
    assert.ok(origin.log.every(e => e.url.startsWith(BASE) || e.url === '/favicon.ico'), 'nothing outside the base')
  })

  test("piece hashes that do not give the manifest's infohash are refused: the downloader joins nothing, pages still work", async ({ browser }) => {
    // With a tracker, the worker asks the downloader for the shard's files: its answer shows the join settled.
    const tracker = own(await startTracker({ port: 0 }))
    const site = ownSite(await buildSite({ base: BASE, announce: [tracker.url] }))
    let served = 0
    let tampering = true
    const { proxy, page } = await visit(browser, site, proxy => {
      proxy.handler = async (req, res, fetchUpstream) => {
        if (!tampering || !req.url?.startsWith(BASE + 'planktos/t/') || !req.url.endsWith('.pieces')) return false
        const up = await fetchUpstream(h => { delete h['if-none-match']; delete h['if-modified-since'] })
        const pieces = Buffer.from(up.body)
        pieces[0]! ^= 1
        served++
        res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(pieces)
        return true
      }
    })
    // The first page's files are stored, so the downloader wants to seed their shard.
    await stay(page)
    await until(page, 'the first page to be stored', s => (s.worker?.stored ?? 0) >= 3)
    await startDownloader(page)
    await within((async () => { while (served === 0) await page.waitForTimeout(50) })(), 'the downloader to fetch the piece hashes')
    // Asked for a file of that shard, the downloader answers only once its join has settled: joined or refused.
    const asked = (await stats(page)).downloader!.requests
    const r = await pageFetch(page, proxy.url + 'about/')
    assert.equal([r.status, r.source], [200, 'origin'])
    const after = (await stats(page)).downloader!
    assert.ok(after.requests > asked, 'the downloader was asked for the page')
    assert.is(after.torrents, 0, 'the shard was not joined with the altered hashes')
    // The refused copy was not kept: once the origin serves the right hashes, the next page's downloader joins.
    tampering = false
    await page.reload()
    await installed(page)
    await startDownloader(page)
    await until(page, 'the shard to be joined', s => s.downloader?.torrents === 1)
  })

  test("a shard's part altered in the store is not used to join its swarm: the page fetches it again and joins", async ({ browser }) => {
    // The page rebuilds the shard's torrent from the part's paths and sizes (torrent-file.ts): the altered copy would give
    // another infohash, and the shard would never be joined while it stayed in the store. (A part altered on the way
    // is runtime-site-files.test.ts's: here the worker's fetch puts the right one in the browser's cache first.)
    const page = await joinedVisit(browser)
    const right = await storedMeta(page, 'part:')
    const altered = mapValues(right, alterPart)
    await putMeta(page, altered)
    assert.equal(await storedMeta(page, 'part:'), altered)
    // The next page's downloader reads the stored copy first.
    await nextPage(page)
    await until(page, 'the shard to be joined again', s => s.downloader?.torrents === 1)
    // The page's store writes behind: the right copy lands within moments.
    await metaBecomes(page, 'part:', right, 'the right parts to be stored again')
  })

  test('piece hashes altered in the store are dropped once they fail: the next page fetches them again and joins', async ({ browser }) => {
    const page = await joinedVisit(browser)
    // Kept once the join proved them right.
    await metaBecomes(page, 'pieces:', {}, 'the joined shard\'s hashes to be kept', true)
    const right = await storedMeta(page, 'pieces:')
    assert.is(Object.keys(right).length, 1)
    const altered = mapValues(right, alterPieces)
    await putMeta(page, altered)
    assert.equal(await storedMeta(page, 'pieces:'), altered)
    // The next page's downloader reads the altered hashes, gets another infohash and drops them (a page that then
    // joins again fetches the right ones): either way the altered copy goes.
    await nextPage(page)
    await metaBecomes(page, 'pieces:', altered, 'the altered hashes to go', true)
    await nextPage(page)
    await until(page, 'the shard to be joined again', s => s.downloader?.torrents === 1)
    await metaBecomes(page, 'pieces:', right, 'the right hashes to be kept')
  })

  test('a stored file altered behind the worker is caught before it reaches a page, and fetched again', async ({ browser, site }) => {
    const { page, proxy } = await visit(browser, site)
    const files = await siteFiles(site)
    const css = files.get('style.css')!
    await stay(page)
    await until(page, 'style.css to be stored', s => (s.worker?.stored ?? 0) >= 3)
    assert.is((await pageFetch(page, proxy.url + 'style.css')).source, 'store')
    await tamper(page, css.sha256)
    const failures = (await stats(page)).worker!.verifyFailures
    const r = await pageFetch(page, proxy.url + 'style.css')
    assert.is(r.source, 'origin', 'not from the altered store')
    assert.is(createHash('sha256').update(r.text).digest('hex'), css.sha256, 'the right bytes')
    assert.is((await stats(page)).worker!.verifyFailures, failures + 1)
  })

  test("the page ignores messages from another worker of the origin: another scope's worker cannot announce an update", async ({ browser, site }) => {
    const { page } = await visit(browser, site, proxy => {
      proxy.handler = (req, res) => {
        if (req.url !== '/evil/sw.js') return false
        res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(EVIL_WORKER)
        return true
      }
    })
    await installed(page)
    const result = await within(page.evaluate(async () => {
      const reg = await navigator.serviceWorker.register('/evil/sw.js', { scope: '/evil/' })
      const worker = reg.installing ?? reg.waiting ?? reg.active!
      if (worker.state !== 'activated') await new Promise(resolve => worker.addEventListener('statechange', () => { if (worker.state === 'activated') resolve(null) }))
      let announced = false
      ;(window as unknown as { planktos: EventTarget }).planktos.addEventListener('update', () => { announced = true })
      // The probe comes after the forged message: once it arrives, install.js has handled (or ignored) the forgery.
      const probed = new Promise(resolve => navigator.serviceWorker.addEventListener('message', e => { if (e.data?.type === 'probe') resolve(e.source === worker) }))
      worker.postMessage('go')
      return { fromEvil: await probed, announced }
    }), 'the other worker to post to the page')
    assert.ok(result.fromEvil, 'the forged messages came from the other worker')
    assert.is(result.announced, false, 'no update was announced')
  })

})
