// How the page gets a shard's part (runtime/page/site-files.ts loadPart), in Node on fake-indexeddb with a stubbed
// fetch. The part's paths and sizes make the shard's torrent (torrent-file.ts), so a copy that is not what its name
// says must never be used or kept: a kept one would keep every later page out of the shard's swarm.
import 'fake-indexeddb/auto'
import { createHash } from 'node:crypto'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { loadPart, loadPieces } from '../runtime/page/site-files.ts'
import { MANIFEST_VERSION, type ShardPart, type ShardRef } from '../runtime/shared/manifest.ts'
import { piecesKey, Store } from '../runtime/shared/store.ts'

const BASE = '/site/'
const PART: ShardPart = {
  version: MANIFEST_VERSION,
  infoHash: 'c'.repeat(40),
  name: 'site',
  pieceLength: 16384,
  files: [{ path: 'index.html', size: 20000, sha256: 'a'.repeat(64), type: 'text/html', offset: 0 }]
}
// Named as the builder names a part: by the SHA-256 of its JSON.
const json = JSON.stringify(PART)
const SHARD: ShardRef = {
  infoHash: PART.infoHash,
  torrent: `planktos/t/${PART.infoHash}.torrent`,
  part: `planktos/p/${createHash('sha256').update(json).digest('hex').slice(0, 20)}.json`,
  size: 20000,
  files: 1,
  first: 'index.html',
  last: 'index.html'
}
const ALTERED = JSON.stringify({ ...PART, files: [{ ...PART.files[0]!, size: 20001 }] })

/** What the stubbed origin serves (for any URL; null: it is down), and the URLs it was asked for. */
let served: string | Uint8Array | null = json
const asked: string[] = []
globalThis.fetch = (async (url: string) => {
  asked.push(url)
  if (served === null) throw new TypeError('Failed to fetch')
  return new Response(served, { headers: { 'Content-Type': 'application/json' } })
}) as typeof fetch

let n = 0
async function fresh (): Promise<Store> {
  asked.length = 0
  served = json
  return Store.open(`/site-files-${n++}/`)
}
const key = `part:${SHARD.part}`

const test = suite('loadPart')

test('fetches the part, keeps it, and reads the kept copy next time', async () => {
  const store = await fresh()
  assert.equal(await loadPart(BASE, SHARD, store), PART)
  assert.equal(asked, [BASE + SHARD.part])
  assert.equal(await store.getMeta(key), PART)
  assert.equal(await loadPart(BASE, SHARD, store), PART)
  assert.is(asked.length, 1, 'the kept copy was read')
})

test('a kept copy that is not what its name says is fetched again and replaced', async () => {
  const store = await fresh()
  await store.setMeta(key, JSON.parse(ALTERED))
  assert.equal(await loadPart(BASE, SHARD, store), PART)
  assert.is(asked.length, 1)
  assert.equal(await store.getMeta(key), PART)
})

test('a fetched copy that is not what its name says is neither used nor kept', async () => {
  const store = await fresh()
  served = ALTERED
  assert.is(await loadPart(BASE, SHARD, store), undefined)
  assert.is(await store.getMeta(key), undefined)
  // Once the origin serves the right one, it is used.
  served = json
  assert.equal(await loadPart(BASE, SHARD, store), PART)
})

test('an intact part for another infohash than the manifest names is not used', async () => {
  const store = await fresh()
  assert.is(await loadPart(BASE, { ...SHARD, infoHash: 'd'.repeat(40) }, store), undefined)
})

test('piece hashes: the kept copy first, else the origin\'s, which is not kept here (only once the join proved them)', async () => {
  const store = await fresh()
  served = new Uint8Array([1, 2, 3])
  assert.equal(await loadPieces(BASE, SHARD, store), new Uint8Array([1, 2, 3]))
  assert.equal(asked, [`${BASE}planktos/t/${SHARD.infoHash}.pieces`])
  assert.is(await store.getMeta(piecesKey(SHARD.infoHash)), undefined)
  await store.setMeta(piecesKey(SHARD.infoHash), new Uint8Array([4, 5]))
  assert.equal(await loadPieces(BASE, SHARD, store), new Uint8Array([4, 5]))
  assert.is(asked.length, 1, 'the kept copy was read')
})

test('piece hashes neither kept nor on the origin: the join fails (loadPieces throws)', async () => {
  const store = await fresh()
  served = null
  await loadPieces(BASE, SHARD, store).then(() => assert.unreachable('resolved'), (err: Error) => assert.instance(err, TypeError))
})

test.run()
