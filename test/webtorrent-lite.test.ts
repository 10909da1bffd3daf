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
  ["WebTorrent's rarity map (lib/rarity-map.js)", '_onWireBitfield']
]

size('leaves out the WebTorrent modules planktos never reaches', () => {
  const code = read()
  for (const [module, text] of LEFT_OUT) assert.not.ok(code.includes(text), `${module} is in downloader.js ("${text}")`)
})

size('still holds the WebTorrent parts the downloader uses', () => {
  const code = read()
  for (const text of ['lt_donthave', 'httpRequest(', 'RTCPeerConnection', 'WebSocket']) assert.ok(code.includes(text), `"${text}" is missing`)
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

stubs.run()
