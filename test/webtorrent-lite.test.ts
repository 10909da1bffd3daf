// The downloader bundles only the parts of WebTorrent planktos reaches (scripts/webtorrent-lite.ts): its size
// stays within issue 13's 45 KB brotli, what was left out stays out, and the stubs that still do something
// behave as the modules they replace.
import { readFileSync } from 'node:fs'
import { posix } from 'node:path'
import { brotliCompressSync } from 'node:zlib'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Readable, Writable, pipeline } from 'streamx'
import { join } from '../runtime/webtorrent-stubs/path.js'
import { ThrottleGroup } from '../runtime/webtorrent-stubs/speed-limiter.js'
import utMetadata from '../runtime/webtorrent-stubs/ut_metadata.js'
import CacheStore from '../runtime/webtorrent-stubs/cache-chunk-store.js'
import { remote } from '../runtime/webtorrent-stubs/parse-torrent.js'
import { remote as originalRemote } from 'parse-torrent'
import OriginalCacheStore from 'cache-chunk-store'

/** Brotli bytes a visitor's browser downloads for downloader.js, WebTorrent included. */
const BUDGET = 45 * 1024

const built = new URL('../dist/runtime/downloader.js', import.meta.url)
const read = (): string => {
  try {
    return readFileSync(built, 'utf8')
  } catch {
    throw new Error('dist/runtime/downloader.js is missing: run `npm run build` first.')
  }
}

const size = suite('downloader.js')

size(`is at most ${BUDGET} bytes brotli, WebTorrent included`, () => {
  const brotli = brotliCompressSync(read()).length
  assert.ok(brotli <= BUDGET, `downloader.js is ${brotli} bytes brotli, budget ${BUDGET}`)
})

// A text found only in the module left out. The first four are in WebTorrent's own browser bundle; the others
// stay out through browser fields that node-resolve alone does not apply (scripts/webtorrent-lite.ts).
const LEFT_OUT: Array<[module: string, text: string]> = [
  ['mime', 'andrew-inset'],
  ['ut_metadata', 'msg_type'],
  ["WebTorrent's HTTP server (lib/server.js)", '405 - Method Not Allowed'],
  ['fsa-chunk-store', 'FileSystemDirectoryHandle'],
  ['ut_pex', 'added6.f'],
  ["bittorrent-tracker's server", 'address() unavailable with { noServer: true }'],
  ["bittorrent-tracker's UDP client", 'invalid udp handshake'],
  // The downloader keeps the 'sequential' strategy, which never asks it; the real one listened to every wire.
  ["WebTorrent's rarity map (lib/rarity-map.js)", '_onWireBitfield'],
  ["parse-torrent's remote() (a torrent from a URL or a Blob)", 'Error downloading torrent'],
  // Methods scripts/webtorrent-lite.ts trims (TRIMS): the torrent from an `xs` URL, a file's streams.
  ['Torrent#_getMetadataFromServer', 'skipping non-http xs param'],
  ["File's streams (File#createReadStream and the like)", 'File is destroyed']
]

size('leaves out the WebTorrent modules planktos never reaches', () => {
  const code = read()
  for (const [module, text] of LEFT_OUT) assert.not.ok(code.includes(text), `${module} is in downloader.js ("${text}")`)
})

size('still holds the WebTorrent parts the downloader uses', () => {
  const code = read()
  for (const text of ['lt_donthave', 'httpRequest(', 'RTCPeerConnection', 'WebSocket']) assert.ok(code.includes(text), `"${text}" is missing`)
})

size("calls none of the EventEmitter's methods scripts/webtorrent-lite.ts leaves out", () => {
  const code = read()
  // As a property or a quoted name: "listeners" alone is in the EventEmitter's warning text.
  for (const name of ['listeners', 'rawListeners', 'eventNames', 'prependOnceListener', 'getMaxListeners']) {
    assert.not.match(code, new RegExp(`[.'"\`]${name}\\b`), `downloader.js names ${name}, which its EventEmitter no longer has`)
  }
})

size('reads no Node global a page lacks', () => {
  // WebTorrent's sources test `process.browser` at the top level: left in, the page would throw a ReferenceError.
  assert.not.match(read(), /\bprocess\.browser\b/)
})

size.run()

const stubs = suite('the stubs that still run')

stubs('path.join joins torrent file paths as node:path does', () => {
  const cases = [
    ['/', 'a', 'b'], ['/', 'docs/guide', 'index.html'], ['/', '..', 'x'], ['/', 'a', '..', '..', 'b'], ['a', '', 'b/'],
    ['/', 'a', './b'], [''], ['/'], ['/tmp', 'webtorrent'], ['a/', '/b'], ['..', 'a'], ['a', '..', '..', 'b'], ['/', '.'],
    ['/', 'a/'], ['x', '.'], ['./', 'a'], ['/', 'é', 'a b', '%20.txt'], ['/', 'a//b', 'c']
  ]
  for (const parts of cases) assert.is(join(...parts), posix.join(...parts), JSON.stringify(parts))
})

stubs('a throttle lets every chunk through, in order', async () => {
  const chunks = [new Uint8Array([1, 2]), new Uint8Array([3]), new Uint8Array(70_000)]
  const got: Uint8Array[] = []
  await new Promise<void>((resolve, reject) => pipeline(
    Readable.from(chunks),
    new ThrottleGroup().throttle(),
    new Writable({ write (chunk: Uint8Array, cb: () => void) { got.push(chunk); cb() } }),
    (err: Error | null) => err ? reject(err) : resolve()
  ))
  assert.equal(got, chunks)
})

stubs('the ut_metadata stand-in is an extension a wire accepts, and listens like one', () => {
  const Extension = utMetadata()
  assert.is(Extension.prototype.name, 'ut_metadata')
  const ext = new Extension()
  ext.on('warning', () => {})
  assert.is(ext.listenerCount('warning'), 1)
  // What WebTorrent calls on a wire that comes before the metadata: nothing to do, nothing thrown.
  ext.fetch()
  assert.ok(ext.setMetadata(new Uint8Array(0)))
})

stubs("parse-torrent's remote() fails on torrent bytes it cannot parse as the original does", async () => {
  type Remote = (id: unknown, cb: (err: Error | null, parsed?: unknown) => void) => unknown
  const fail = (f: Remote, id: unknown): Promise<string> => new Promise(resolve => { void f(id, err => resolve(err ? err.message : 'parsed')) })
  for (const id of [new Uint8Array([1, 2, 3]), new TextEncoder().encode('d4:infod4:name1:aee')]) {
    assert.is(await fail(remote as Remote, id), await fail(originalRemote as Remote, id))
  }
  assert.is(await fail(remote as Remote, new Uint8Array(3)), 'Invalid torrent identifier')
})

/** A chunk store of 4-byte pieces that logs its reads, closes and destroys; `fail` makes the reads of a piece fail. */
function countingStore (fail = new Set<number>()): { store: unknown, reads: Array<number | string> } {
  const pieces = new Map<number, Uint8Array>()
  const reads: Array<number | string> = []
  const store = {
    chunkLength: 4,
    put (index: number, buf: Uint8Array, cb: (err: Error | null) => void) { pieces.set(index, buf); queueMicrotask(() => cb(null)) },
    // Both caches read whole pieces, as get(index, cb).
    get (index: number, cb: (err: Error | null, buf?: Uint8Array) => void) {
      reads.push(index)
      setTimeout(() => fail.has(index) ? cb(new Error(`no piece ${index}`)) : cb(null, pieces.get(index)), 1)
    },
    close (cb: (err: Error | null) => void) { reads.push('close'); queueMicrotask(() => cb(null)) },
    destroy (cb: (err: Error | null) => void) { reads.push('destroy'); queueMicrotask(() => cb(null)) }
  }
  return { store, reads }
}

interface Cache {
  put (index: number, buf: Uint8Array, cb: (err: Error | null) => void): void
  get (index: number, opts: { offset?: number, length?: number } | null, cb: (err: Error | null, buf?: Uint8Array) => void): void
  close (cb: (err: Error | null) => void): void
  destroy (cb: (err: Error | null) => void): void
}

/** The same calls on `Store`, in order; each call's result, with the underlying store's reads at the end. */
async function play (Store: new (store: unknown, opts: { max: number }) => Cache): Promise<unknown[]> {
  const { store, reads } = countingStore(new Set([9]))
  const cache = new Store(store, { max: 2 })
  const call = <T>(f: (cb: (err: Error | null, v?: T) => void) => void): Promise<string> =>
    new Promise(resolve => f((err, v) => resolve(err ? `error: ${err.message}` : v instanceof Uint8Array ? [...v].join(',') : String(v))))
  const out: unknown[] = []
  for (let i = 0; i < 4; i++) out.push(await call(cb => cache.put(i, Uint8Array.from([i, i + 1, i + 2, i + 3]), cb)))
  // Reads of one piece at once share one store read; blocks of a cached piece come from memory.
  out.push(await Promise.all([call(cb => cache.get(0, { offset: 1, length: 2 }, cb)), call(cb => cache.get(0, null, cb)), call(cb => cache.get(0, { offset: 2 }, cb))]))
  out.push(await call(cb => cache.get(1, { length: 1 }, cb)))
  out.push(await call(cb => cache.get(0, { offset: 3, length: 1 }, cb)))
  // A third piece drops the least recently used one (1, since 0 was read after it).
  out.push(await call(cb => cache.get(2, null, cb)))
  out.push(await call(cb => cache.get(0, null, cb)), await call(cb => cache.get(1, null, cb)))
  // A put replaces the cached copy.
  out.push(await call(cb => cache.put(0, Uint8Array.from([7, 7, 7, 7]), cb)), await call(cb => cache.get(0, null, cb)))
  // A failed read is not kept: the next one asks the store again.
  out.push(await Promise.all([call(cb => cache.get(9, null, cb)), call(cb => cache.get(9, { offset: 1 }, cb))]), await call(cb => cache.get(9, null, cb)))
  // A read under way when the cache closes still gets its bytes; after that every call fails.
  out.push(await Promise.all([call(cb => cache.get(3, null, cb)), call(cb => cache.close(cb))]))
  out.push(await call(cb => cache.get(0, null, cb)), await call(cb => cache.put(0, new Uint8Array(4), cb)), await call(cb => cache.destroy(cb)))
  // Destroying destroys the store once; a second time fails.
  const second = countingStore()
  const other = new Store(second.store, { max: 2 })
  out.push(await call(cb => other.destroy(cb)), await call(cb => other.destroy(cb)))
  return [...out, reads, second.reads]
}

stubs('the piece cache answers, reads and forgets as cache-chunk-store does', async () => {
  const ours = await play(CacheStore as unknown as new (store: unknown, opts: { max: number }) => Cache)
  assert.equal(ours, await play(OriginalCacheStore as unknown as new (store: unknown, opts: { max: number }) => Cache))
  // What the calls above rely on, so that two caches that both do nothing would not pass.
  assert.equal(ours.at(-1), ['destroy'])
  assert.equal(ours.at(-2), [0, 1, 2, 1, 0, 9, 9, 3, 'close'], 'store calls: each piece read once while cached, 1 again after it was dropped, 0 after its put, 9 each time it failed')
})

stubs.run()
