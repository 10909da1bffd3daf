// The files a page loaded before the worker controlled it (install.js's `seen` message), in Node. Where peers are
// possible the worker only notes them until the visitor stays (its page's downloader runs, or it opens another page):
// storing them takes the shard's part, which a visitor who leaves never pays back. Without WebRTC they are stored at
// once. Either way they come from the HTTP cache only: a file the cache does not hold (a page still arriving when the
// visitor clicked the moment the worker took over) is left for later, never fetched from the origin a second time.
import { ORIGIN, build, deploy, fetchEvent, origin } from './helpers/worker-scope.ts'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { onMessage } from '../runtime/worker/inbox.ts'
import { onFetch } from '../runtime/worker/route.ts'
import type { ExtendableMessageEvent, FetchEvent } from '../runtime/worker/scope.ts'
import { loadManifest } from '../runtime/worker/site.ts'
import { store } from '../runtime/worker/storage.ts'

const SITE = build('build-seen', { 'index.html': 'index', 'about/index.html': 'about' })
deploy(SITE)
origin.up = true
const PART = SITE.manifest.shards[0]!.part

/** What the worker asked for while `run` ran: from the origin (parts, files) and from the HTTP cache only. */
async function requests (run: () => Promise<unknown>): Promise<{ parts: number, origin: string[], cache: string[] }> {
  const plain = globalThis.fetch
  const seen = { parts: 0, origin: [] as string[], cache: [] as string[] }
  globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url, ORIGIN)
    if (url.pathname === '/' + PART) seen.parts++
    if (url.pathname.startsWith('/planktos')) return plain(input, init)
    // The HTTP cache is empty.
    if (init?.cache === 'only-if-cached') {
      seen.cache.push(url.pathname)
      return new Response(null, { status: 504 })
    }
    seen.origin.push(url.pathname)
    return new Response('x'.repeat(100))
  }
  try {
    await run()
  } finally {
    globalThis.fetch = plain
  }
  return seen
}

/** Delivers `data` to the worker's message handler as from page `id`; resolves once the work it started is done. */
async function message (data: unknown, id = 'page-1'): Promise<void> {
  const work: Array<Promise<unknown>> = []
  const event = { data, source: { id, url: `${ORIGIN}/` }, ports: [], waitUntil: (p: Promise<unknown>) => { work.push(p) } }
  onMessage(event as unknown as ExtendableMessageEvent)
  assert.ok(work.length > 0, 'the worker took the message')
  await Promise.all(work)
}

/** The URLs the worker noted and has not stored yet. */
const noted = async (): Promise<string[]> => (await (await store())!.getMeta<{ urls: string[] }>('seen'))?.urls ?? []
const SEEN = { type: 'seen', urls: [`${ORIGIN}/about/`, `${ORIGIN}/`] }

const test = suite('files a page loaded before the worker controlled it')

test('where peers are possible, are only noted: no part, no request, until the page\'s downloader runs', async () => {
  await loadManifest()
  const before = await requests(() => message(SEEN))
  assert.equal(before, { parts: 0, origin: [], cache: [] }, 'nothing was asked for a visitor who may leave')
  assert.equal(await noted(), SEEN.urls, 'the worker noted what the page loaded')
  const after = await requests(() => message({ type: 'downloader', webrtc: true, swarms: [] }))
  assert.is(after.parts, 1, 'the part, to know the files')
  assert.equal(after.cache.sort(), ['/', '/about/'], 'the files, from the HTTP cache')
  assert.equal(after.origin, [], 'the origin was not asked for the pages')
  assert.equal(await noted(), [], 'nothing is left noted')
})

test('are stored when the visitor opens another page', async () => {
  await message(SEEN)
  const work: Array<Promise<unknown>> = []
  const event = {
    ...fetchEvent(`${ORIGIN}/about/`, { mode: 'navigate' }),
    request: new Request(`${ORIGIN}/about/`),
    waitUntil: (p: Promise<unknown>) => { work.push(p) },
    respondWith: (p: Promise<Response>) => { work.push(p) }
  }
  Object.defineProperty(event.request, 'destination', { value: 'document' })
  const asked = await requests(async () => {
    onFetch(event as unknown as FetchEvent)
    await Promise.all(work)
  })
  assert.ok(asked.cache.includes('/'), 'the first page, from the HTTP cache')
  assert.equal(await noted(), [], 'nothing is left noted')
})

test("are not stored for a frame's page: the visitor did not open it", async () => {
  await message(SEEN)
  const work: Array<Promise<unknown>> = []
  const event = { request: new Request(`${ORIGIN}/about/`), clientId: '', resultingClientId: '', waitUntil: (p: Promise<unknown>) => { work.push(p) }, respondWith: (p: Promise<Response>) => { work.push(p) } }
  Object.defineProperty(event.request, 'destination', { value: 'iframe' })
  const asked = await requests(async () => {
    onFetch(event as unknown as FetchEvent)
    await Promise.all(work)
  })
  assert.not.ok(asked.cache.includes('/'), 'the first page was not stored')
  assert.equal(await noted(), SEEN.urls, 'still noted')
})

test('are stored once when two signals come at once', async () => {
  const asked = await requests(() => Promise.all([
    message({ type: 'downloader', webrtc: true, swarms: [] }, 'page-1'),
    message({ type: 'downloader', webrtc: true, swarms: [] }, 'page-2')
  ]))
  assert.equal(asked.cache.sort(), ['/', '/about/'], 'each file read from the HTTP cache once')
})

test('noted before a deploy, are dropped: the HTTP cache holds the old build\'s files', async () => {
  // As the worker of an older deploy would have left it.
  await (await store())!.setMeta('seen', { build: 'build-before', urls: SEEN.urls })
  const asked = await requests(() => message({ type: 'downloader', webrtc: true, swarms: [] }))
  assert.equal(asked, { parts: 0, origin: [], cache: [] }, 'nothing was asked')
  assert.equal(await noted(), [], 'nothing is left noted')
})

test('without WebRTC, are stored at once', async () => {
  await message({ type: 'hello', webrtc: false })
  const asked = await requests(() => message(SEEN))
  assert.equal(asked.cache.sort(), ['/', '/about/'], 'the files, from the HTTP cache')
  assert.equal(asked.origin, [], 'the origin was not asked for the pages')
  assert.equal(await noted(), [], 'nothing is left noted')
})

test.run()
