// Byte ranges as RFC 9110 defines them, and the incremental SHA-256 that verifies streamed files.
import { createHash } from 'node:crypto'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { contentRange, etagOf, parseRange, rangeFor } from '../runtime/worker/range.ts'
import { Sha256 } from '../runtime/worker/sha256.ts'

const parse = suite('parseRange')

parse('answers single, open-ended and suffix ranges with the bytes they name', () => {
  assert.equal(parseRange('bytes=0-0', 100), { status: 206, start: 0, end: 1 })
  assert.equal(parseRange('bytes=10-19', 100), { status: 206, start: 10, end: 20 })
  assert.equal(parseRange('bytes=90-', 100), { status: 206, start: 90, end: 100 })
  assert.equal(parseRange('bytes=-5', 100), { status: 206, start: 95, end: 100 })
  assert.equal(parseRange('bytes=0-', 100), { status: 206, start: 0, end: 100 })
})

parse('clips a last position past the end, and a suffix longer than the file', () => {
  assert.equal(parseRange('bytes=95-1000', 100), { status: 206, start: 95, end: 100 })
  assert.equal(parseRange('bytes=-1000', 100), { status: 206, start: 0, end: 100 })
})

parse('refuses ranges that start at or past the end, and an empty suffix, with 416', () => {
  assert.equal(parseRange('bytes=100-', 100), { status: 416 })
  assert.equal(parseRange('bytes=100-200', 100), { status: 416 })
  assert.equal(parseRange('bytes=-0', 100), { status: 416 })
})

parse('ignores malformed headers, other units, backwards and several ranges', () => {
  for (const h of ['bytes=abc', 'bytes=-', 'bytes 0-5', 'items=0-5', 'bytes=1-2-3', 'bytes=5-2', 'bytes=0-1,5-6', 'bytes=', 'bytes=+1-2', 'bytes=0x1-2']) {
    assert.equal(parseRange(h, 100), { status: 200 }, h)
  }
  assert.equal(parseRange(null, 100), { status: 200 })
})

parse('accepts a case-insensitive unit, spaces around the list and empty list elements', () => {
  assert.equal(parseRange('Bytes=1-2', 100), { status: 206, start: 1, end: 3 })
  assert.equal(parseRange('bytes= 1-2 ,', 100), { status: 206, start: 1, end: 3 })
})

parse('sends an empty file whole', () => {
  assert.equal(parseRange('bytes=0-', 0), { status: 200 })
  assert.equal(parseRange('bytes=-5', 0), { status: 200 })
})

parse.run()

const ifRange = suite('rangeFor')
const ETAG = etagOf('ab'.repeat(32))

ifRange('honours Range when If-Range is absent or is the strong ETag', () => {
  assert.equal(rangeFor(new Headers({ Range: 'bytes=0-0' }), 10, ETAG), { status: 206, start: 0, end: 1 })
  assert.equal(rangeFor(new Headers({ Range: 'bytes=0-0', 'If-Range': ETAG }), 10, ETAG), { status: 206, start: 0, end: 1 })
})

ifRange('sends the whole file for another ETag, a weak one or a date', () => {
  for (const v of ['"0000"', `W/${ETAG}`, 'Tue, 01 Jan 2019 00:00:00 GMT']) {
    assert.equal(rangeFor(new Headers({ Range: 'bytes=0-0', 'If-Range': v }), 10, ETAG), { status: 200 }, v)
  }
})

ifRange('writes Content-Range for a range and for a refusal', () => {
  assert.is(contentRange(100, { start: 10, end: 20 }), 'bytes 10-19/100')
  assert.is(contentRange(100), 'bytes */100')
  assert.is(ETAG, `"${'ab'.repeat(32)}"`)
})

ifRange.run()

const hash = suite('Sha256')

hash('matches node:crypto for every length around block boundaries, fed in odd pieces', () => {
  const data = new Uint8Array(300).map((_, i) => (i * 31 + 7) & 255)
  for (let n = 0; n <= 200; n++) {
    const bytes = data.subarray(0, n)
    const h = new Sha256()
    for (let i = 0; i < n; i += 13) h.update(bytes.subarray(i, i + 13))
    assert.is(h.hex(), createHash('sha256').update(bytes).digest('hex'), `length ${n}`)
  }
})

hash('matches node:crypto on a megabyte fed in large chunks', () => {
  const bytes = new Uint8Array(1 << 20).map((_, i) => (i * 2654435761) >>> 24)
  const h = new Sha256()
  for (let i = 0; i < bytes.length; i += 100_000) h.update(bytes.subarray(i, i + 100_000))
  assert.is(h.hex(), createHash('sha256').update(bytes).digest('hex'))
})

hash.run()
