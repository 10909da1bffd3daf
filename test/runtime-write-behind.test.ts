// The page's store writing peers' pieces behind (runtime/page/write-behind.ts), in Node on fake-indexeddb: a piece is
// readable at once, the pieces that come in while a write runs share the next transaction, nothing that marks a
// file stored or removes it overtakes the writes still waiting, and a backlog says when it is cleared.
import 'fake-indexeddb/auto'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Store, type Segment } from '../runtime/shared/store.ts'
import { WriteBehind } from '../runtime/page/write-behind.ts'

const PIECE = 16 * 1024
const SHA = 'a'.repeat(64)
let n = 0

/** A WriteBehind on a fresh database that counts its transactions and can be told to fail them. */
class Counted extends WriteBehind {
  transactions: number[] = []
  fail = false
  override async putSegments (list: readonly Segment[]): Promise<void> {
    this.transactions.push(list.length)
    if (this.fail) throw new Error('QuotaExceededError')
    return super.putSegments(list)
  }
}

async function stores (): Promise<{ behind: Counted, plain: Store }> {
  const plain = await Store.open(`/write-behind-${++n}/`)
  return { behind: new Counted(plain.db), plain }
}

const pieces = (count: number): Uint8Array => Uint8Array.from({ length: count * PIECE }, (_, i) => (i * 7 + (i >> 14)) & 0xff)
const queue = (s: WriteBehind, bytes: Uint8Array, count: number): Array<Promise<void>> =>
  Array.from({ length: count }, (_, i) => s.later({ sha256: SHA, size: bytes.length, start: i * PIECE, bytes: bytes.subarray(i * PIECE, (i + 1) * PIECE) }))

const test = suite('write-behind')

test('a queued piece is readable at once, before its write commits; the database has it once written', async () => {
  const { behind, plain } = await stores()
  const bytes = pieces(2)
  const written = queue(behind, bytes, 2)
  const first = await Promise.race([behind.read(SHA, 100, PIECE + 100), written[1]!.then(() => 'written first')])
  assert.equal(first, bytes.subarray(100, PIECE + 100))
  await Promise.all(written)
  assert.equal(await plain.read(SHA, 0, 2 * PIECE), bytes)
})

test('pieces queued while a write runs share the next transaction', async () => {
  const { behind, plain } = await stores()
  const bytes = pieces(100)
  await Promise.all(queue(behind, bytes, 100))
  // The first piece starts a transaction at once; the 99 queued meanwhile go in one more.
  assert.equal(behind.transactions, [1, 99])
  assert.equal(await plain.read(SHA, 0, bytes.length), bytes)
  assert.is((await plain.record(SHA))?.bytes, bytes.length)
})

test('marking a file complete waits for its writes: the database never says complete with bytes missing', async () => {
  const { behind, plain } = await stores()
  const bytes = pieces(40)
  void queue(behind, bytes, 40)
  await behind.markComplete(SHA)
  assert.equal(await plain.readComplete(SHA, bytes.length), bytes)
})

test('a failed write (quota) is reported to whoever waits for it, and the file is not marked complete', async () => {
  const { behind, plain } = await stores()
  behind.fail = true
  const bytes = pieces(3)
  const written = queue(behind, bytes, 3)
  const [settled] = await Promise.all([behind.settled(SHA, PIECE, 2 * PIECE), behind.markComplete(SHA)])
  assert.is(settled, false)
  assert.is((await Promise.allSettled(written)).filter(r => r.status === 'rejected').length, 3)
  assert.is(await plain.record(SHA), undefined)
  assert.is(await behind.read(SHA, 0, PIECE), undefined, 'bytes that were never written are not read from memory once the write failed')
})

test('a write refused before anyone asked still keeps the file from being marked complete', async () => {
  const { behind, plain } = await stores()
  const bytes = pieces(3)
  await Promise.all(queue(behind, bytes, 2))
  behind.fail = true
  await behind.later({ sha256: SHA, size: bytes.length, start: 2 * PIECE, bytes: bytes.subarray(2 * PIECE) }).catch(() => {})
  await behind.markComplete(SHA)
  assert.is((await plain.record(SHA))?.complete, false, 'the store checks every byte is there (Store.markComplete)')
  assert.is(await behind.read(SHA, 2 * PIECE, 3 * PIECE), undefined)
})

test('removing a file waits for its writes, so none lands after it', async () => {
  const { behind, plain } = await stores()
  const bytes = pieces(20)
  void queue(behind, bytes, 20)
  await behind.remove(SHA)
  assert.equal(await plain.coverage(SHA), [])
  assert.is(await plain.record(SHA), undefined)
})

test('a backlog of 4 MiB says so until the writes catch up, then calls whoever waits for room, once', async () => {
  const { behind } = await stores()
  const rooms: boolean[] = []
  const stop = behind.onRoom(() => rooms.push(behind.ahead))
  const bytes = pieces(300)
  const written = queue(behind, bytes, 300)
  assert.not.ok(behind.ahead, '300 pieces of 16 KiB waiting')
  assert.equal(rooms, [])
  await Promise.all(written)
  assert.equal(rooms, [true])
  // Under the limit nobody is called; nor is a listener that stopped.
  await Promise.all(queue(behind, pieces(10), 10))
  stop()
  await Promise.all(queue(behind, bytes, 300))
  assert.equal(rooms, [true])
})

test('a listener that throws stops neither the writes nor the other listeners', async () => {
  const { behind, plain } = await stores()
  const thrown: unknown[] = []
  const caught = (err: unknown): void => { thrown.push(err) }
  process.on('uncaughtException', caught)
  try {
    let called = 0
    behind.onRoom(() => { throw new Error('a listener failed') })
    behind.onRoom(() => { called++ })
    await Promise.all(queue(behind, pieces(300), 300))
    const bytes = pieces(10)
    await Promise.all(queue(behind, bytes, 10))
    assert.equal(await plain.read(SHA, 0, bytes.length), bytes)
    assert.is(called, 1)
    assert.is(thrown.length, 1)
  } finally {
    process.off('uncaughtException', caught)
  }
})

test.run()
