// Byte geometry: torrent pieces over files laid end to end, and stored segments put back together.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { assemble, covers, merge, pieceBounds, piecesOf, piecesWithin, spans, type Placed } from '../runtime/shared/layout.ts'

/** Files of the given sizes, laid end to end as the builder does. */
function laid (...sizes: number[]): Placed[] {
  let offset = 0
  return sizes.map(size => {
    const file = { offset, size }
    offset += size
    return file
  })
}

const span = suite('spans')

span('splits a range at file boundaries, in order', () => {
  const files = laid(10, 5, 20)
  assert.equal(spans(files, 0, 35), [
    { file: 0, start: 0, end: 10, at: 0 },
    { file: 1, start: 0, end: 5, at: 10 },
    { file: 2, start: 0, end: 20, at: 15 }
  ])
})

span('a range inside one file touches only that file', () => {
  assert.equal(spans(laid(10, 5, 20), 17, 25), [{ file: 2, start: 2, end: 10, at: 0 }])
})

span('never reaches past a file end', () => {
  for (const s of spans(laid(7, 3, 9, 1), 2, 20)) assert.ok(s.end <= [7, 3, 9, 1][s.file]!)
})

span('skips empty files', () => {
  assert.equal(spans(laid(4, 0, 0, 4), 2, 6).map(s => s.file), [0, 3])
})

span('agrees with a linear scan over many files', () => {
  const sizes = Array.from({ length: 500 }, (_, i) => (i * 7919) % 97)
  const files = laid(...sizes)
  const total = sizes.reduce((a, b) => a + b, 0)
  for (let start = 0; start < total; start += 313) {
    const end = Math.min(total, start + 1000)
    const slow = files.flatMap((f, i) => {
      const s = Math.max(start, f.offset)
      const e = Math.min(end, f.offset + f.size)
      return f.size > 0 && s < e ? [{ file: i, start: s - f.offset, end: e - f.offset, at: s - start }] : []
    })
    assert.equal(spans(files, start, end), slow)
  }
})

span.run()

const pieces = suite('pieces')

pieces('the last piece is short', () => {
  assert.equal(pieceBounds(0, 16, 40), [0, 16])
  assert.equal(pieceBounds(2, 16, 40), [32, 40])
})

pieces('a file spans the pieces holding its first and last byte', () => {
  assert.equal(piecesOf({ offset: 10, size: 30 }, 16), [0, 2])
  assert.equal(piecesOf({ offset: 16, size: 16 }, 16), [1, 1])
  assert.is(piecesOf({ offset: 16, size: 0 }, 16), null)
})

pieces('the pieces some bytes fill whole leave out those shared with bytes outside them', () => {
  // A torrent of 100 bytes in pieces of 16: [0, 16) ... [96, 100).
  assert.equal(piecesWithin(10, 70, 16, 100), [1, 3], 'pieces 0 and 4 hold bytes outside')
  assert.equal(piecesWithin(16, 64, 16, 100), [1, 3], 'aligned on both ends')
  assert.equal(piecesWithin(40, 100, 16, 100), [3, 6], 'the short last piece ends with the torrent')
  assert.equal(piecesWithin(0, 96, 16, 96), [0, 5], 'a torrent of whole pieces')
  assert.is(piecesWithin(17, 40, 16, 100), undefined, 'no piece filled whole')
  assert.is(piecesWithin(20, 30, 16, 100), undefined, 'inside one piece')
})

pieces.run()

const ranges = suite('merge and covers')

ranges('merges overlapping and touching ranges', () => {
  assert.equal(merge([[10, 20], [0, 5], [5, 8], [15, 30], [40, 40]]), [[0, 8], [10, 30]])
})

ranges('covers needs one merged range holding all of it', () => {
  const held = merge([[0, 8], [10, 30]])
  assert.ok(covers(held, 10, 30))
  assert.ok(covers(held, 3, 3))
  assert.not.ok(covers(held, 5, 12))
  assert.not.ok(covers([], 0, 1))
})

ranges.run()

const put = suite('assemble')

put('joins segments and cuts the requested range out of them', () => {
  const segments = [{ start: 4, bytes: Uint8Array.of(4, 5, 6, 7) }, { start: 0, bytes: Uint8Array.of(0, 1, 2, 3) }]
  assert.equal([...assemble(segments, 2, 7)!], [2, 3, 4, 5, 6])
})

put('tolerates overlapping segments', () => {
  const segments = [{ start: 0, bytes: Uint8Array.of(0, 1, 2, 3) }, { start: 2, bytes: Uint8Array.of(2, 3, 4, 5) }]
  assert.equal([...assemble(segments, 0, 6)!], [0, 1, 2, 3, 4, 5])
})

put('returns undefined when a byte is missing', () => {
  const segments = [{ start: 0, bytes: Uint8Array.of(0, 1) }, { start: 3, bytes: Uint8Array.of(3) }]
  assert.is(assemble(segments, 0, 4), undefined)
  assert.is(assemble([], 0, 1), undefined)
})

put('an empty range needs no segment', () => {
  assert.equal(assemble([], 5, 5)?.length, 0)
})

put.run()
