// The worker's side of a page that writes peers' pieces behind (runtime/page/write-behind.ts), in Node (faked scope,
// IndexedDB in memory, pages scripted on the worker's message protocol). Such a page hands the worker a chunk once
// the bytes before it are written, not its own: a response that seeks back across the latest chunk must not read
// the unwritten part from the store, and a page that leaves before a chunk it handed over is written must not leave
// the file marked stored with a gap in it (Store.markComplete checks every byte is there).
import { ORIGIN, build, deploy, openPages, origin, pageScripts } from './helpers/worker-scope.ts'
import { createHash } from 'node:crypto'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { Message } from '../runtime/shared/messages.ts'
import { noteHello } from '../runtime/worker/pages.ts'
import { lookup, type Found } from '../runtime/worker/site.ts'
import { store } from '../runtime/worker/storage.ts'
import { answerFile } from '../runtime/worker/sources.ts'

const MiB = 1024 * 1024
const SIZE = 3 * MiB
/** A hang, not a time measurement. */
const LIMIT = 15_000

/** A build of one 3 MiB file, served by the origin too. */
function bigBuild (id: string, peerTimeout: number): { b: ReturnType<typeof build>, bytes: Uint8Array } {
  const bytes = Uint8Array.from({ length: SIZE }, (_, i) => (i * 13 + (i >> 12) + id.length) & 255)
  const b = build(id, { [`${id}.bin`]: id }, { announce: ['ws://127.0.0.1:9/announce'], peerTimeout })
  const entry = b.part.files[0]!
  Object.assign(entry, { size: SIZE, sha256: createHash('sha256').update(bytes).digest('hex'), type: 'application/octet-stream' })
  b.manifest.shards[0]!.size = SIZE
  origin.files.set(entry.path, bytes)
  deploy(b)
  return { b, bytes }
}

/** Page `id`, listening, answering the worker's peer requests with `onRequest`. */
async function page (id: string, onRequest: (port: MessagePort, from: number) => void): Promise<void> {
  openPages.add(id)
  await noteHello(id)
  pageScripts.set(id, (m, transfer) => {
    const message = m as Message
    if (message.type !== 'peer-request') return
    const port = transfer[0] as MessagePort
    port.start()
    onRequest(port, message.from ?? 0)
  })
}

const post = (port: MessagePort, bytes: Uint8Array, at: number, end: number): void => {
  const chunk = bytes.slice(at, end)
  port.postMessage({ type: 'chunk', bytes: chunk.buffer, last: end === SIZE } satisfies Message, [chunk.buffer])
}

const within = <T> (p: Promise<T>, what: string): Promise<T> => Promise.race([
  p,
  new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error(`${what}: no answer after ${LIMIT} ms`)), LIMIT).unref())
])

const ask = (found: Found, requester: string, range?: string, waitUntil: (p: Promise<unknown>) => void = () => {}): Promise<Response> =>
  answerFile({ found, request: new Request(`${ORIGIN}/${found.entry.path}`, range ? { headers: { Range: range } } : {}), requester, waitUntil })

const test = suite('written behind')

test('a response that seeks back across the chunk the worker holds gets the right bytes', async () => {
  const { b, bytes } = bigBuild('seek', 60_000)
  const found = (await lookup('seek.bin', b.manifest))!
  let posted = 0
  let release!: () => void
  const held = new Promise<void>(resolve => { release = resolve })
  await page('seeker', (port, from) => {
    port.postMessage({ type: 'ready', size: SIZE } satisfies Message)
    let at = from
    port.onmessage = async (e) => {
      if ((e.data as Message).type !== 'pull' || at >= SIZE) return
      if (at >= 2 * MiB) await held
      // As answer.ts does: the bytes before this chunk are written first, the chunk's own later.
      if (at > 0) await (await store())!.putSegments([{ sha256: found.entry.sha256, size: SIZE, start: 0, bytes: bytes.slice(0, at) }])
      const end = Math.min(SIZE, at + MiB)
      post(port, bytes, at, end)
      posted = at = end
    }
  })
  const first = await within(ask(found, 'seeker'), 'the first response')
  const whole = first.arrayBuffer()
  while (posted < 2 * MiB) await new Promise(resolve => setTimeout(resolve, 10))
  // [MiB / 2, 2 MiB) is read while [MiB, 2 MiB) is only in the worker's latest chunk, not in the store.
  const seek = await within(ask(found, 'seeker', `bytes=${MiB / 2}-`), 'the seek')
  const reading = seek.arrayBuffer()
  setTimeout(release, 200)
  assert.equal(new Uint8Array(await within(reading, 'the seek\'s body')), bytes.subarray(MiB / 2))
  assert.equal(new Uint8Array(await within(whole, 'the first body')), bytes)
  openPages.delete('seeker')
})

test('a page that leaves before a chunk it handed over is written: the file is not marked stored with a gap', async () => {
  const { b, bytes } = bigBuild('leave', 300)
  const found = (await lookup('leave.bin', b.manifest))!
  let asked = 0
  await page('leaver', (port) => {
    if (asked++ > 0) return port.postMessage({ type: 'miss', reason: 'gone' } satisfies Message)
    port.postMessage({ type: 'ready', size: SIZE } satisfies Message)
    let pulls = 0
    port.onmessage = (e) => {
      if ((e.data as Message).type !== 'pull') return
      // The first chunk is handed over and never written; then the page is gone.
      if (pulls++ === 0) return post(port, bytes, 0, MiB)
      openPages.delete('leaver')
      port.postMessage({ type: 'miss', reason: 'the page went away' } satisfies Message)
    }
  })
  let download: Promise<unknown> = Promise.resolve()
  const res = await within(ask(found, 'leaver', undefined, p => { download = p }), 'the response')
  assert.equal(new Uint8Array(await within(res.arrayBuffer(), 'the body')), bytes, 'the rest came from the origin')
  await within(download, 'the download')
  const db = (await store())!
  assert.not.ok((await db.record(found.entry.sha256))?.complete, 'marked stored while [0, 1 MiB) is missing')
  // So the next request is not answered from a store with a gap.
  const again = await within(ask(found, '', 'bytes=0-'), 'the next request')
  assert.equal(new Uint8Array(await within(again.arrayBuffer(), 'its body')), bytes)
})

// Timers of the worker's downloads may outlive the cases: once uvu has reported, the process ends with its exit code.
test.after(() => { setTimeout(() => process.exit(), 100) })
test.run()
