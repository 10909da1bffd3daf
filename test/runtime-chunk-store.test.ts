// The downloader's chunk store (runtime/page/chunk-store.ts) reading pieces for peers, in Node on fake-indexeddb. The
// worker stores a file it fetched from the origin in segments of a MiB, and a read from the store fetches whole
// segments: read piece by piece, as peers ask, every 32 KiB piece cost its whole MiB, so a visitor uploading a file to
// four others read ~32 times the bytes it sent from IndexedDB. Pieces now come through windows of a file; a window
// that is not all stored is not read, so a file still coming in costs only what is asked for. Checked by the bytes
// each piece holds and by the bytes the database hands over (its `getAll` results), never by time.
import 'fake-indexeddb/auto'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { chunkStoreFor } from '../runtime/page/chunk-store.ts'
import { WriteBehind } from '../runtime/page/write-behind.ts'
import { MANIFEST_VERSION, type FileEntry, type ShardPart } from '../runtime/shared/manifest.ts'
import { Store } from '../runtime/shared/store.ts'

const MiB = 1024 * 1024
const PIECE = 32 * 1024

/** Bytes the database handed over in `getAll` results since the last reset. */
let fetched = 0
const proto = IDBObjectStore.prototype as unknown as { getAll: (...args: unknown[]) => IDBRequest }
const getAll = proto.getAll
proto.getAll = function (this: IDBObjectStore, ...args: unknown[]): IDBRequest {
  const req = getAll.apply(this, args)
  req.addEventListener('success', () => {
    for (const v of req.result as unknown[]) if (v instanceof Uint8Array) fetched += v.length
  })
  return req
}

const bytesFor = (size: number, seed: number): Uint8Array => Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed + (i >> 12)) & 0xff)

/**
 * A shard of a small page (so the large file starts at an offset no window boundary matches) and a 4 MiB file, with
 * their bytes; the chunk store of it over a fresh store.
 */
async function shard (name: string, size = 4 * MiB): Promise<{ part: ShardPart, page: FileEntry, big: FileEntry, all: Uint8Array, store: WriteBehind, chunks: InstanceType<ReturnType<typeof chunkStoreFor>> }> {
  const page: FileEntry = { path: 'index.html', size: 5000, sha256: 'a'.repeat(64), type: 'text/html', offset: 0 }
  const big: FileEntry = { path: 'big.bin', size, sha256: 'b'.repeat(64), type: 'application/octet-stream', offset: 5000 }
  const part: ShardPart = { version: MANIFEST_VERSION, infoHash: 'c'.repeat(40), name: 'site', pieceLength: PIECE, files: [page, big] }
  const all = bytesFor(page.size + big.size, 7)
  const store = new WriteBehind((await Store.open(`/chunk-store-${name}/`)).db)
  const ChunkStore = chunkStoreFor(store, part)
  return { part, page, big, all, store, chunks: new ChunkStore(PIECE) }
}

const piece = (chunks: { get: (i: number, cb: (err: Error | null, buf?: Uint8Array) => void) => void }, index: number): Promise<Uint8Array> =>
  new Promise((resolve, reject) => chunks.get(index, (err, buf) => err ? reject(err) : resolve(buf!)))

const test = suite('the chunk store reads pieces for peers through windows')

test('a file the worker stored in MiB segments: every piece right, the database handing over ~the file once, not once per piece', async () => {
  const { page, big, all, store, chunks } = await shard('whole')
  // As the worker stores what it fetched: the page whole, the large file in MiB segments.
  await store.putSegments([{ sha256: page.sha256, size: page.size, start: 0, bytes: all.subarray(0, page.size) }])
  for (let at = 0; at < big.size; at += MiB) await store.putSegments([{ sha256: big.sha256, size: big.size, start: at, bytes: all.slice(page.size + at, page.size + at + MiB) }])
  const count = Math.ceil(all.length / PIECE)
  fetched = 0
  // In order as a peer asks, with a few asked at once.
  for (let i = 0; i < count; i += 4) {
    const got = await Promise.all([i, i + 1, i + 2, i + 3].filter(n => n < count).map(n => piece(chunks, n)))
    got.forEach((buf, k) => assert.equal(buf, all.subarray((i + k) * PIECE, Math.min(all.length, (i + k + 1) * PIECE)), `piece ${i + k}`))
  }
  // Piece by piece it was 132 MiB (each of 128 pieces cost its MiB segment, two where it straddles one's end).
  assert.ok(fetched <= 1.5 * big.size, `the database handed over ${(fetched / MiB).toFixed(1)} MiB for a ${big.size / MiB} MiB file`)
})

test('a file still coming in (pieces stored one by one, with gaps): stored pieces right, a missing one an error, windows not read', async () => {
  const { big, all, store, chunks } = await shard('partial')
  // Pieces of the large file as a page stores what peers sent: piece-sized segments, every third one missing.
  const first = Math.floor(big.offset / PIECE) + 1
  const stored: number[] = []
  for (let i = first; i < first + 96; i++) {
    if (i % 3 === 0) continue
    stored.push(i)
    const start = i * PIECE - big.offset
    await store.putSegments([{ sha256: big.sha256, size: big.size, start, bytes: all.slice(i * PIECE, (i + 1) * PIECE) }])
  }
  fetched = 0
  for (const i of stored) assert.equal(await piece(chunks, i), all.subarray(i * PIECE, (i + 1) * PIECE), `piece ${i}`)
  // Each piece read alone: its own segment (the look-back of a read reaches no further values).
  assert.ok(fetched <= stored.length * PIECE, `the database handed over ${(fetched / MiB).toFixed(1)} MiB for ${stored.length} pieces of ${PIECE / 1024} KiB`)
  const missing = await piece(chunks, first + 2).then(() => undefined, (err: Error) => err)
  assert.instance(missing, Error, 'a piece that is not stored is an error')
})

test('a window read while the file was incomplete is not kept: once the rest is stored, its pieces come through the window', async () => {
  const { big, all, store, chunks } = await shard('later')
  const index = Math.floor(big.offset / PIECE) + 2
  const start = index * PIECE - big.offset
  await store.putSegments([{ sha256: big.sha256, size: big.size, start, bytes: all.slice(index * PIECE, (index + 1) * PIECE) }])
  assert.equal(await piece(chunks, index), all.subarray(index * PIECE, (index + 1) * PIECE))
  for (let at = 0; at < big.size; at += MiB) await store.putSegments([{ sha256: big.sha256, size: big.size, start: at, bytes: all.slice(big.offset + at, big.offset + at + MiB) }])
  fetched = 0
  for (let i = index; i < index + 16; i++) assert.equal(await piece(chunks, i), all.subarray(i * PIECE, (i + 1) * PIECE), `piece ${i}`)
  assert.ok(fetched <= 2 * MiB, `16 pieces in one window cost ${(fetched / MiB).toFixed(1)} MiB`)
})

test('a complete file stored piece by piece (as a page stores what peers sent), read in any order: each piece costs its own segment, not its window', async () => {
  const { big, all, store, chunks } = await shard('pieces', 8 * MiB)
  const first = Math.ceil(big.offset / PIECE)
  const last = Math.floor((big.offset + big.size) / PIECE) - 1
  const order: number[] = []
  for (let i = first; i <= last; i++) {
    order.push(i)
    await store.putSegments([{ sha256: big.sha256, size: big.size, start: i * PIECE - big.offset, bytes: all.slice(i * PIECE, (i + 1) * PIECE) }])
  }
  // A fixed shuffle: peers ask rarest first, a media seek asks far ahead.
  for (let i = order.length - 1, r = 7; i > 0; i--) {
    r = (r * 1103515245 + 12345) % 2147483648
    const j = r % (i + 1)
    ;[order[i], order[j]] = [order[j]!, order[i]!]
  }
  fetched = 0
  for (const i of order) assert.equal(await piece(chunks, i), all.subarray(i * PIECE, (i + 1) * PIECE), `piece ${i}`)
  assert.ok(fetched <= 1.5 * order.length * PIECE, `the database handed over ${(fetched / MiB).toFixed(1)} MiB for ${(order.length * PIECE / MiB).toFixed(1)} MiB of pieces`)
})

test.run()
