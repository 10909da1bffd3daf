// The worker streaming a file larger than maxStorage, in Node (faked scope, IndexedDB in memory): it is not kept,
// the origin is read no further ahead of the response than a couple of chunks whatever the file's size, and a file
// whose bytes are wrong errors before its last bytes reach the response. A file that is kept reaches the response as
// the origin sends it, not a stored megabyte at a time; a small stored file is read back only once complete.
import { build, deploy, openPages, origin, pageScripts } from './helpers/worker-scope.ts'
import { noteDownloader, noteHello } from '../runtime/worker/pages.ts'
import type { Message } from '../runtime/shared/messages.ts'
import { createHash } from 'node:crypto'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { FileEntry } from '../runtime/shared/manifest.ts'
import type { Store } from '../runtime/shared/store.ts'
import type { Found } from '../runtime/worker/site.ts'
import { store } from '../runtime/worker/storage.ts'
import type { FileRequest } from '../runtime/worker/file-request.ts'
import { streamFile } from '../runtime/worker/stream.ts'

const MiB = 1024 * 1024
const SIZE = 24 * MiB
/** How far the origin may be read ahead of what the response delivered: the chunk held, the one filling, slack. */
const AHEAD = 3 * MiB

/** Byte i of the file. */
const byteAt = (i: number): number => (i * 7 + (i >> 16)) & 255

function fileSha (flip?: number): string {
  const h = createHash('sha256')
  for (let at = 0; at < SIZE; at += MiB) h.update(slice(at, at + MiB, flip))
  return h.digest('hex')
}

function slice (start: number, end: number, flip?: number): Uint8Array {
  const out = new Uint8Array(end - start)
  for (let i = 0; i < out.length; i++) out[i] = byteAt(start + i) ^ (start + i === flip ? 0xff : 0)
  return out
}

/** The origin's answer for the file: generated 64 KiB per pull, counting how far it was read. */
function serveFile (pulled: { bytes: number }, flip?: number): void {
  const plain = globalThis.fetch
  globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    if (!url.endsWith('/data/huge.bin')) return plain(input, init)
    return new Response(new ReadableStream<Uint8Array>({
      pull (controller) {
        const end = Math.min(SIZE, pulled.bytes + 64 * 1024)
        controller.enqueue(slice(pulled.bytes, end, flip))
        pulled.bytes = end
        if (end === SIZE) controller.close()
      }
    }, { highWaterMark: 0 }), { status: 200, headers: { 'Content-Length': String(SIZE) } })
  }
}

const b = build('build-big', { 'index.html': 'index' }, { maxStorage: 4 * MiB })
deploy(b)
origin.up = true

function found (sha256: string): Found {
  const entry: FileEntry = { path: 'data/huge.bin', size: SIZE, sha256, type: 'application/octet-stream', offset: 0 }
  return { entry, shard: b.manifest.shards[0]!, part: b.part, manifest: b.manifest }
}

/** Reads the response slowly, checking after each read how far ahead of it the origin was read. */
async function readSlowly (res: Response, pulled: { bytes: number }): Promise<{ length: number, ahead: number, error?: string }> {
  const reader = res.body!.getReader()
  let length = 0
  let ahead = 0
  try {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      length += value.length
      // Give the download every chance to run ahead.
      for (let i = 0; i < 20; i++) await new Promise(resolve => setImmediate(resolve))
      ahead = Math.max(ahead, pulled.bytes - length)
    }
  } catch (err) {
    return { length, ahead, error: String(err) }
  }
  return { length, ahead }
}

/** A request for `found` at `url` from no page in particular, its lasting work handed to `waitUntil`. */
const asking = (found: Found, url: string, waitUntil: (work: Promise<unknown>) => void): FileRequest =>
  ({ found, request: new Request(url), requester: '', waitUntil })

/** A tracker to announce to (nothing here connects to it): without one, the worker asks no page for peers. */
const TRACKER = 'ws://127.0.0.1:9/'

const test = suite('a file larger than maxStorage')

test('streams through unkept, the origin read at most a few MiB ahead of the response', async () => {
  const pulled = { bytes: 0 }
  serveFile(pulled)
  const f = found(fileSha())
  const db = (await store())!
  const work: Array<Promise<unknown>> = []
  const res = await streamFile(asking(f, 'https://site.test/data/huge.bin', p => work.push(p)), db, undefined)
  assert.ok(res, 'the worker answers it')
  assert.is(res.headers.get('X-Planktos-Source'), 'origin')
  const got = await readSlowly(res, pulled)
  assert.equal({ length: got.length, error: got.error }, { length: SIZE, error: undefined })
  assert.ok(got.ahead <= AHEAD, `the origin was read ${got.ahead} bytes ahead of the response`)
  assert.equal(await Promise.all(work), [true], 'the download verified the file')
  assert.is(await db.record(f.entry.sha256), undefined, 'none of it is stored')
})

test('with a wrong byte, the response errors before the file\'s last bytes', async () => {
  const pulled = { bytes: 0 }
  serveFile(pulled, 10 * MiB + 5)
  const f = found(fileSha())
  const db = (await store())!
  const res = await streamFile(asking(f, 'https://site.test/data/huge.bin', () => {}), db, undefined)
  const got = await readSlowly(res!, pulled)
  assert.ok(got.error, 'the response errors')
  assert.ok(got.length < SIZE, `${got.length} bytes were released`)
})

test.run()

const kept = suite('a large file that is kept')
const KEPT = 3 * MiB + 1000

kept('reaches the response as the origin sends it, before a megabyte of it has arrived or been stored', async () => {
  const first = slice(0, 64 * 1024)
  const rest = slice(64 * 1024, KEPT)
  const sha = createHash('sha256').update(first).update(rest).digest('hex')
  // The origin sends 64 KiB, then nothing until the test opens the gate.
  let open!: () => void
  const gate = new Promise<void>(resolve => { open = resolve })
  let held!: () => void
  const holding = new Promise<void>(resolve => { held = resolve })
  const plain = globalThis.fetch
  globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    if (!url.endsWith('/data/kept.bin')) return plain(input, init)
    let sent = 0
    return new Response(new ReadableStream<Uint8Array>({
      async pull (controller) {
        if (sent === 0) {
          controller.enqueue(first)
          sent = first.length
          return
        }
        held()
        await gate
        controller.enqueue(rest)
        controller.close()
      }
    }, { highWaterMark: 0 }), { status: 200, headers: { 'Content-Length': String(KEPT) } })
  }
  try {
    const entry: FileEntry = { path: 'data/kept.bin', size: KEPT, sha256: sha, type: 'application/octet-stream', offset: 0 }
    const f: Found = { entry, shard: b.manifest.shards[0]!, part: b.part, manifest: b.manifest }
    const db = (await store())!
    const work: Array<Promise<unknown>> = []
    const answered = streamFile(asking(f, 'https://site.test/data/kept.bin', p => work.push(p)), db, undefined)
    const firstRead = answered.then(res => res!.body!.getReader()).then(async reader => ({ reader, read: await reader.read() }))
    await holding
    // The origin waits for the gate: whatever the response has by now came from the first 64 KiB alone.
    for (let i = 0; i < 50; i++) await new Promise(resolve => setImmediate(resolve))
    const early = await Promise.race([firstRead, Promise.resolve(undefined)])
    open()
    assert.ok(early, 'the response had bytes while the origin had sent 64 KiB')
    assert.equal(early.read.value, first, 'the first 64 KiB')
    let length = early.read.value!.length
    for (let r = await early.reader.read(); !r.done; r = await early.reader.read()) length += r.value.length
    assert.is(length, KEPT)
    assert.equal(await Promise.all(work), [true], 'the download verified the file')
    assert.is((await db.record(sha))?.complete, true, 'it is stored')
    assert.equal(await db.read(sha, 0, KEPT), Uint8Array.from([...first, ...rest]), 'every byte of it')
  } finally {
    globalThis.fetch = plain
  }
})

/**
 * The origin's answers for `name`: a request without Range gets the whole file, its first `open` bytes at once and the
 * rest once `gate` settles; one with a Range gets those bytes at once (a 206), unless `ranges` is false (a server
 * ignoring Range, which sends the whole file). Returns the ranges asked for, and a function restoring fetch.
 */
function gatedOrigin (name: string, bytes: Uint8Array, open: number, gate: Promise<void>, ranges = true): { asked: string[], restore: () => void } {
  const plain = globalThis.fetch
  const asked: string[] = []
  globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    if (!url.endsWith(name)) return plain(input, init)
    const range = new Headers(init?.headers).get('Range')
    asked.push(range ?? 'whole')
    const m = ranges && range ? /^bytes=(\d+)-(\d*)$/.exec(range) : null
    if (m) {
      const start = Number(m[1])
      const end = m[2] ? Number(m[2]) + 1 : bytes.length
      return new Response(bytes.slice(start, end), { status: 206, headers: { 'Content-Range': `bytes ${start}-${end - 1}/${bytes.length}` } })
    }
    let sent = 0
    return new Response(new ReadableStream<Uint8Array>({
      async pull (controller) {
        if (sent >= open) await gate
        const end = sent < open ? open : bytes.length
        controller.enqueue(bytes.slice(sent, end))
        sent = end
        if (sent === bytes.length) controller.close()
      }
    }, { highWaterMark: 0 }), { status: 200, headers: { 'Content-Length': String(bytes.length) } })
  }
  return { asked, restore: () => { globalThis.fetch = plain } }
}

/** What `answer` settled with after the tasks queued so far (and a few more) ran, or 'waiting'. */
async function settled<T> (answer: Promise<T>): Promise<T | 'waiting'> {
  const result = answer.then(r => ({ r }))
  for (let i = 0; i < 200; i++) await new Promise(resolve => setImmediate(resolve))
  const got = await Promise.race([result, Promise.resolve(undefined)])
  return got ? got.r : 'waiting'
}

async function readAll (res: Response): Promise<Uint8Array> {
  return new Uint8Array(await res.arrayBuffer())
}

const SEEKED = 8 * MiB

/** The seek file's entry, kept (maxStorage well above its size). */
function seekFound (path: string, sha256: string): Found {
  const entry: FileEntry = { path, size: SEEKED, sha256, type: 'application/octet-stream', offset: 0 }
  return { entry, shard: b.manifest.shards[0]!, part: b.part, manifest: { ...b.manifest, settings: { ...b.manifest.settings, maxStorage: 64 * MiB } } }
}

/**
 * A kept SEEKED-byte file at data/`name` (bytes varied by `flip`, so each test has a file of its own) and its origin,
 * which sends the first 64 KiB at once and the rest once `open` is called (ranges at once, unless `ranges` is false).
 */
function seekFile (name: string, flip: number, ranges = true): { bytes: Uint8Array, f: Found, origin: ReturnType<typeof gatedOrigin>, open: () => void } {
  const bytes = slice(0, SEEKED, flip)
  let open!: () => void
  const gate = new Promise<void>(resolve => { open = resolve })
  const origin = gatedOrigin(`/data/${name}`, bytes, 64 * 1024, gate, ranges)
  return { bytes, f: seekFound(`data/${name}`, createHash('sha256').update(bytes).digest('hex')), origin, open }
}

/** The SIZE-byte huge.bin (varied by `flip`: a file of its own) kept (maxStorage above its size), from serveFile. */
function keptHuge (flip: number): { pulled: { bytes: number }, f: Found, keptFound: Found } {
  const pulled = { bytes: 0 }
  serveFile(pulled, flip)
  const f = found(fileSha(flip))
  return { pulled, f, keptFound: { ...f, manifest: { ...f.manifest, settings: { ...f.manifest.settings, maxStorage: 64 * MiB } } } }
}

/** A response for all of `f` that has read its first bytes and reads no more for now (a paused media element). */
async function readingFirst (f: Found): Promise<{ db: Store, url: string, reader: ReadableStreamDefaultReader<Uint8Array> }> {
  const db = (await store())!
  const url = `https://site.test/${f.entry.path}`
  const first = await streamFile(asking(f, url, () => {}), db, undefined)
  const reader = first!.body!.getReader()
  await reader.read()
  return { db, url, reader }
}

/** Opens page `id`, whose downloader is connected to a peer in the swarm of `f`'s shard. */
async function peeredPage (id: string, f: Found): Promise<void> {
  openPages.add(id)
  await noteHello(id)
  await noteDownloader(id, true, [{ infoHash: f.shard.infoHash, peers: 1, alone: false }])
}

kept('a range far past the download is asked of the origin at once; one within a chunk of it waits for the download', async () => {
  const { bytes, f, origin, open } = seekFile('seek.bin', -1)
  try {
    const sha = f.entry.sha256
    const db = (await store())!
    const url = 'https://site.test/data/seek.bin'
    const work: Array<Promise<unknown>> = []
    // A media element reads from the start; the origin sends 64 KiB, then waits.
    const first = await streamFile(asking(f, url, p => work.push(p)), db, undefined)
    assert.is(first?.headers.get('X-Planktos-Source'), 'origin')
    const reader = first!.body!.getReader()
    assert.equal((await reader.read()).value, bytes.slice(0, 64 * 1024))
    // It seeks to the middle: the download, stuck at 64 KiB, would get there only after 4 MiB more.
    const far = await settled(streamFile(asking(f, url, p => work.push(p)), db, { start: 4 * MiB, end: SEEKED }))
    assert.ok(far !== 'waiting' && far, 'the seek is answered, not waiting for the download')
    assert.is(far.status, 206)
    assert.is(far.headers.get('Content-Range'), `bytes ${4 * MiB}-${SEEKED - 1}/${SEEKED}`)
    assert.is(far.headers.get('ETag'), `"${sha}"`, 'with the worker\'s validator, as every response for the file')
    assert.is(far.headers.get('X-Planktos-Source'), 'origin')
    assert.equal(await readAll(far), bytes.slice(4 * MiB))
    assert.equal(origin.asked, ['whole', `bytes=${4 * MiB}-`], 'the download\'s request, and the seek\'s range')
    // A range just past where the download is comes from the download once it gets there.
    const near = streamFile(asking(f, url, p => work.push(p)), db, { start: 64 * 1024 + 1000, end: 2 * MiB })
    assert.is(await settled(near), 'waiting', 'a range within a chunk waits for the download')
    open()
    const res = await near
    assert.is(res?.headers.get('X-Planktos-Source'), 'origin')
    assert.equal(await readAll(res!), bytes.slice(64 * 1024 + 1000, 2 * MiB))
    assert.is(origin.asked.length, 2, 'the origin was asked nothing more')
    await reader.cancel()
    assert.ok((await Promise.all(work)).includes(true), 'the download verified the file')
  } finally {
    origin.restore()
  }
})

kept('a far range from an origin that ignores Range goes to the network as the page asked', async () => {
  const { f, origin, open } = seekFile('ignored.bin', 1, false)
  try {
    const { db, url, reader } = await readingFirst(f)
    const far = await settled(streamFile(asking(f, url, () => {}), db, { start: 4 * MiB, end: SEEKED }))
    assert.is(far, undefined, 'the worker leaves it to the network')
    open()
    await reader.cancel()
  } finally {
    origin.restore()
  }
})

kept('with a page connected to peers, a far range waits a while for the download, then goes to the origin', async () => {
  const { bytes, f, origin, open } = seekFile('peered.bin', 3)
  // A page whose downloader is connected to a peer in the swarm; asked for the file, it says peers lack it.
  await peeredPage('p-peered', f)
  pageScripts.set('p-peered', (m, transfer) => {
    if ((m as Message).type !== 'peer-request') return
    const port = transfer[0] as MessagePort
    port.start()
    port.postMessage({ type: 'miss', reason: 'scripted' } satisfies Message)
  })
  try {
    const db = (await store())!
    const far = streamFile(asking(f, 'https://site.test/data/peered.bin', () => {}), db, { start: 4 * MiB, end: SEEKED })
    assert.is(await settled(far), 'waiting', 'the seek waits for the download, which peers may supply')
    assert.ok(!origin.asked.includes(`bytes=${4 * MiB}-`), 'the origin was not asked for the seek\'s range')
    // The download stays at 64 KiB: after a while (SLOWER, a second) the seek is the origin's.
    const res = await Promise.race([far, new Promise<'hung'>(resolve => setTimeout(() => resolve('hung'), 10_000).unref())])
    assert.ok(res !== 'hung' && res, 'the seek was answered while the download stayed behind')
    assert.is(res.headers.get('Content-Range'), `bytes ${4 * MiB}-${SEEKED - 1}/${SEEKED}`)
    assert.equal(await readAll(res), bytes.slice(4 * MiB))
    assert.ok(origin.asked.includes(`bytes=${4 * MiB}-`), 'from the origin')
    open()
  } finally {
    openPages.delete('p-peered')
    pageScripts.delete('p-peered')
    origin.restore()
  }
})

kept('the origin is read no further than a few MiB ahead of the response, and not on once nobody reads', async () => {
  const { pulled, keptFound } = keptHuge(7)
  const db = (await store())!
  const work: Array<Promise<unknown>> = []
  const res = await streamFile(asking(keptFound, 'https://site.test/data/huge.bin', p => work.push(p)), db, undefined)
  const reader = res!.body!.getReader()
  const first = await reader.read()
  // A paused media element: it read a little, and reads no more for now.
  for (let i = 0; i < 2000; i++) await new Promise(resolve => setImmediate(resolve))
  assert.ok(pulled.bytes - first.value!.length <= 6 * MiB, `the origin was read ${pulled.bytes} bytes, ${first.value!.length} of them read by the response`)
  const paused = pulled.bytes
  // It goes away (a seek far ahead, the page left): the download stops where it is.
  await reader.cancel()
  assert.equal(await Promise.all(work), [false], 'the download ended without the whole file')
  for (let i = 0; i < 200; i++) await new Promise(resolve => setImmediate(resolve))
  assert.ok(pulled.bytes <= paused + MiB, `the origin was read on to ${pulled.bytes} bytes after nobody read (${paused} before)`)
})

kept('a request at the end of a download that waits for its readers wakes it, and one that comes as it stops gets the whole file', async () => {
  const { pulled, f, keptFound } = keptHuge(8)
  const db = (await store())!
  const url = 'https://site.test/data/huge.bin'
  const a = await streamFile(asking(keptFound, url, () => {}), db, undefined)
  const reader = a!.body!.getReader()
  await reader.read()
  // A paused reader: the download waits 4 MiB past it.
  for (let i = 0; i < 2000; i++) await new Promise(resolve => setImmediate(resolve))
  const at = pulled.bytes
  const hang = (): Promise<'hung'> => new Promise(resolve => setTimeout(() => resolve('hung'), 10_000).unref())
  const b = await Promise.race([streamFile(asking(keptFound, url, () => {}), db, { start: at, end: at + 1000 }), hang()])
  assert.ok(b !== 'hung' && b, `a range at ${at}, where the download waits, is answered`)
  assert.is((await readAll(b)).length, 1000)
  // The paused reader goes, and a request for the whole file comes at once: it gets all of it. (It joins before the
  // download sees nobody reading; one that came after that, while the stopped download still settled its writes, got
  // a body cut at the download's end: this origin cannot serve a second request, so that case is not here.)
  await reader.cancel()
  const c = await streamFile(asking(keptFound, url, () => {}), db, undefined)
  const whole = await Promise.race([readAll(c!), hang()])
  assert.ok(whole !== 'hung', 'the whole file arrived')
  assert.is(createHash('sha256').update(whole).digest('hex'), f.entry.sha256)
})

kept('with a page connected to peers, a far range still goes to the origin when the download is too slow to get there soon', async () => {
  const { bytes, f, origin, open } = seekFile('slow.bin', 4)
  await peeredPage('p-slow', f)
  try {
    const { db, url, reader } = await readingFirst(f)
    // The download has 64 KiB after 100 ms: 4 MiB further on is seconds away at that pace.
    await new Promise(resolve => setTimeout(resolve, 100))
    const far = await settled(streamFile(asking(f, url, () => {}), db, { start: 4 * MiB, end: SEEKED }))
    assert.ok(far !== 'waiting' && far, 'the seek is answered, not waiting for the download')
    assert.is(far.headers.get('Content-Range'), `bytes ${4 * MiB}-${SEEKED - 1}/${SEEKED}`)
    assert.equal(await readAll(far), bytes.slice(4 * MiB))
    open()
    await reader.cancel()
  } finally {
    openPages.delete('p-slow')
    origin.restore()
  }
})

kept('from a page supplying it from peers, a paused response has the page fetch a few MiB ahead of it, not the whole file', async () => {
  const { pulled, f, keptFound: unannounced } = keptHuge(10)
  const keptFound = { ...unannounced, manifest: { ...unannounced.manifest, settings: { ...unannounced.manifest.settings, announce: [TRACKER] } } }
  const bytes = slice(0, SIZE, 10)
  // A page whose downloader is connected to a peer in the file's swarm: it hands over a MiB per pull from where the
  // worker asked, each written to the store first as the downloader's are, and notes how far it was asked and whether
  // the worker gave up its request (its selection).
  await peeredPage('p-feeding', f)
  const db = (await store())!
  const asked: Array<{ from: number, supplied: number, cancelled: boolean }> = []
  pageScripts.set('p-feeding', (m, transfer) => {
    if ((m as Message).type !== 'peer-request') return
    const port = transfer[0] as MessagePort
    const request = { from: (m as Extract<Message, { type: 'peer-request' }>).from, supplied: 0, cancelled: false }
    asked.push(request)
    port.onmessage = async (e) => {
      const type = (e.data as Message).type
      if (type === 'cancel') request.cancelled = true
      if (type !== 'pull') return
      const at = request.from + request.supplied
      const chunk = bytes.slice(at, Math.min(SIZE, at + MiB))
      request.supplied += chunk.length
      await db.putSegments([{ sha256: f.entry.sha256, size: SIZE, start: at, bytes: chunk.slice() }])
      port.postMessage({ type: 'chunk', bytes: chunk.buffer, last: at + chunk.length === SIZE } satisfies Message, [chunk.buffer])
    }
    port.postMessage({ type: 'ready', size: SIZE } satisfies Message)
  })
  try {
    const work: Array<Promise<unknown>> = []
    const res = await streamFile(asking(keptFound, 'https://site.test/data/huge.bin', p => work.push(p)), db, undefined)
    assert.is(res?.headers.get('X-Planktos-Source'), 'peers')
    const reader = res!.body!.getReader()
    const first = (await reader.read()).value!
    // A paused media element: it read its metadata, and reads no more for now.
    for (let i = 0; i < 2000; i++) await new Promise(resolve => setImmediate(resolve))
    assert.is(asked.length, 1)
    assert.ok(asked[0]!.supplied - first.length <= 6 * MiB, `the page was asked for ${asked[0]!.supplied} bytes, ${first.length} of them read`)
    assert.ok(asked[0]!.cancelled, 'the worker gave up the page\'s request, so the page drops its selection of the rest')
    // It plays on: the rest comes from the page again, from where the worker stopped, and the origin is never asked.
    let length = first.length
    const got = [first]
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      got.push(r.value)
      length += r.value.length
    }
    assert.is(length, SIZE)
    assert.is(createHash('sha256').update(Buffer.concat(got)).digest('hex'), f.entry.sha256)
    assert.ok(asked.length >= 2 && asked[1]!.from === asked[0]!.supplied, `asked again from ${asked[1]?.from}, where the first request ended (${asked[0]!.supplied})`)
    assert.is(pulled.bytes, 0, 'the origin was not asked')
    assert.equal(await Promise.all(work), [true], 'the download verified the file')
  } finally {
    openPages.delete('p-feeding')
    pageScripts.delete('p-feeding')
  }
})

kept('with a page connected to peers and no download under way, a range more than a few MiB past what is stored goes to the origin at once', async () => {
  const { bytes, f, origin, open } = seekFile('unstarted.bin', 5)
  await peeredPage('p-unstarted', f)
  try {
    const db = (await store())!
    // A media element whose first response was cancelled by its seek: nothing runs that a pace could be read from,
    // and a new download would have 5 MiB to fetch in order before it got there.
    const far = await settled(streamFile(asking(f, 'https://site.test/data/unstarted.bin', () => {}), db, { start: 5 * MiB, end: SEEKED }))
    assert.ok(far !== 'waiting' && far, 'the seek is answered, not waiting for a new download')
    assert.is(far.headers.get('Content-Range'), `bytes ${5 * MiB}-${SEEKED - 1}/${SEEKED}`)
    assert.equal(await readAll(far), bytes.slice(5 * MiB))
    assert.equal(origin.asked, [`bytes=${5 * MiB}-`], 'the origin was asked for the seek\'s range only')
    open()
  } finally {
    openPages.delete('p-unstarted')
    origin.restore()
  }
})

kept('a reader slower than its peers, the page ready only after the origin\'s first chunk: every later byte from peers, a page request per 2 MiB read', async () => {
  const size = 24 * MiB
  const bytes = slice(0, size, 11)
  const sha = createHash('sha256').update(bytes).digest('hex')
  const origin = gatedOrigin('/data/slow-reader.bin', bytes, size, Promise.resolve())
  const entry: FileEntry = { path: 'data/slow-reader.bin', size, sha256: sha, type: 'application/octet-stream', offset: 0 }
  const settings = { ...b.manifest.settings, maxStorage: 64 * MiB, announce: [TRACKER], peerTimeout: 250 }
  const f: Found = { entry, shard: b.manifest.shards[0]!, part: b.part, manifest: { ...b.manifest, settings } }
  await peeredPage('p-slow-reader', f)
  const db = (await store())!
  // The page's downloader is not ready when the element asks (it says so), then is, 120 ms after each request (more,
  // over the file, than the worker's patience for peers: 500 ms), and hands over a MiB per pull, written to the store
  // first.
  let requests = 0
  const supplied: number[] = []
  pageScripts.set('p-slow-reader', (m, transfer) => {
    if ((m as Message).type !== 'peer-request') return
    const port = transfer[0] as MessagePort
    if (requests++ === 0) return port.postMessage({ type: 'miss', reason: 'not yet' } satisfies Message)
    const at = { next: (m as Extract<Message, { type: 'peer-request' }>).from }
    supplied.push(at.next)
    port.onmessage = async (e) => {
      if ((e.data as Message).type !== 'pull') return
      const chunk = bytes.slice(at.next, Math.min(size, at.next + MiB))
      await db.putSegments([{ sha256: sha, size, start: at.next, bytes: chunk.slice() }])
      at.next += chunk.length
      port.postMessage({ type: 'chunk', bytes: chunk.buffer, last: at.next === size } satisfies Message, [chunk.buffer])
    }
    setTimeout(() => port.postMessage({ type: 'ready', size } satisfies Message), 120)
  })
  try {
    const work: Array<Promise<unknown>> = []
    const res = await streamFile(asking(f, 'https://site.test/data/slow-reader.bin', p => work.push(p)), db, undefined)
    // A media element playing: a MiB every 150 ms, far slower than its peers.
    const reader = res!.body!.getReader()
    const got: Uint8Array[] = []
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      got.push(r.value)
      await new Promise(resolve => setTimeout(resolve, 150 * r.value.length / MiB))
    }
    assert.is(createHash('sha256').update(Buffer.concat(got)).digest('hex'), sha)
    assert.equal(await Promise.all(work), [true], 'the download verified the file')
    assert.equal(origin.asked, [`bytes=0-${256 * 1024 - 1}`], 'the origin sent its first chunk only')
    // The download stops 4 MiB ahead of the reader and asks the page again once it is 2 MiB behind: about one request
    // per 2 MiB read, not one per MiB.
    assert.ok(supplied.length <= size / (2 * MiB) + 2, `${supplied.length} requests to the page`)
  } finally {
    openPages.delete('p-slow-reader')
    pageScripts.delete('p-slow-reader')
    origin.restore()
  }
})

kept('a range where an earlier download stopped continues the download, not the network', async () => {
  const bytes = slice(0, SEEKED, 2) // another file than the other tests'
  const sha = createHash('sha256').update(bytes).digest('hex')
  const origin = gatedOrigin('/data/resumed.bin', bytes, SEEKED, Promise.resolve())
  try {
    const f = seekFound('data/resumed.bin', sha)
    const db = (await store())!
    // An earlier visit's download stored the first 5 MiB, then nobody read on.
    await db.putSegments([{ sha256: sha, size: SEEKED, start: 0, bytes: bytes.slice(0, 5 * MiB) }])
    const work: Array<Promise<unknown>> = []
    const res = await streamFile(asking(f, 'https://site.test/data/resumed.bin', p => work.push(p)), db, { start: 5 * MiB, end: SEEKED })
    assert.ok(res, 'the worker answers it')
    assert.equal(await readAll(res), bytes.slice(5 * MiB))
    assert.equal(await Promise.all(work), [true], 'the download verified the file')
    assert.is((await db.record(sha))?.complete, true, 'it is stored')
    assert.equal(origin.asked, [`bytes=${5 * MiB}-`], 'the origin was asked for the rest only')
  } finally {
    origin.restore()
  }
})

kept.run()

const stored = suite('a small file read from the store')

stored('comes back whole once complete, and not while only some of it is stored', async () => {
  const db = (await store())!
  const whole = slice(0, 300 * 1024)
  await db.putFile('a'.repeat(64), whole)
  assert.equal(await db.readComplete('a'.repeat(64), whole.length), whole)
  await db.putSegments([{ sha256: 'b'.repeat(64), size: whole.length, start: 0, bytes: whole }])
  assert.is(await db.readComplete('b'.repeat(64), whole.length), undefined, 'all bytes stored, but not verified as a whole')
  assert.is(await db.readComplete('c'.repeat(64), 10), undefined, 'nothing stored')
  await db.putFile('d'.repeat(64), new Uint8Array(0))
  assert.equal(await db.readComplete('d'.repeat(64), 0), new Uint8Array(0), 'an empty file')
})

stored.run()
