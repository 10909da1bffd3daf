// The worker streaming a file larger than maxStorage, in Node (faked scope, IndexedDB in memory): it is not kept,
// the origin is read no further ahead of the response than a couple of chunks whatever the file's size, and a file
// whose bytes are wrong errors before its last bytes reach the response. A file that is kept reaches the response as
// the origin sends it, not a stored megabyte at a time; a small stored file is read back only once complete.
import { build, deploy, origin } from './helpers/worker-scope.ts'
import { createHash } from 'node:crypto'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { FileEntry } from '../runtime/shared/manifest.ts'
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
