// Byte ranges (RFC 9110 §14): which part of a site file a request asks for. Pure, tested in Node.
// range-parser (behind `send`) is CommonJS, and the runtime bundle has no CommonJS step; the grammar is small.

/** What to send: the whole file (200), bytes [start, end) (206), or nothing (416). */
export type RangeAnswer =
  | { status: 200 }
  | { status: 206, start: number, end: number }
  | { status: 416 }

const SPEC = /^(\d*)-(\d*)$/

/**
 * The answer to a `Range` header for a file of `size` bytes. A header that does not parse, names another unit,
 * holds a range ending before it starts, or asks for several ranges is ignored (200): RFC 9110 allows a server to
 * ignore Range, and a whole body serves such clients better than an error.
 */
export function parseRange (header: string | null, size: number): RangeAnswer {
  if (header === null) return { status: 200 }
  const eq = header.indexOf('=')
  if (eq < 0 || header.slice(0, eq).trim().toLowerCase() !== 'bytes') return { status: 200 }
  // Empty list elements are allowed (§5.6.1): `bytes=0-1,` is one range.
  const specs = header.slice(eq + 1).split(',').map(s => s.trim()).filter(s => s !== '')
  if (specs.length !== 1) return { status: 200 }
  const m = SPEC.exec(specs[0]!)
  if (!m || (m[1] === '' && m[2] === '')) return { status: 200 }
  // An empty file has no bytes to range over; its whole (empty) body is the useful answer.
  if (size === 0) return { status: 200 }
  if (m[1] === '') {
    // Suffix range: the last n bytes, or the whole file when it is shorter.
    const n = Number(m[2])
    return n === 0 ? { status: 416 } : { status: 206, start: Math.max(0, size - n), end: size }
  }
  const first = Number(m[1])
  const last = m[2] === '' ? Infinity : Number(m[2])
  if (last < first) return { status: 200 }
  if (first >= size) return { status: 416 }
  return { status: 206, start: first, end: Math.min(size, last + 1) }
}

/**
 * The answer for a request with these headers, honouring `If-Range` (§13.1.5): Range applies only when If-Range
 * is absent or is exactly the file's strong `etag`. A date never matches (the worker sends no Last-Modified).
 */
export function rangeFor (headers: Headers, size: number, etag: string): RangeAnswer {
  const range = headers.get('Range')
  const ifRange = headers.get('If-Range')
  if (range === null || (ifRange !== null && ifRange.trim() !== etag)) return { status: 200 }
  return parseRange(range, size)
}

/** The strong entity tag of a file: its SHA-256, which changes exactly when its bytes do. */
export const etagOf = (sha256: string): string => `"${sha256}"`

/** The `Content-Range` value for bytes [start, end) of `size`, or for a refused range. */
export function contentRange (size: number, range?: { start: number, end: number }): string {
  return range ? `bytes ${range.start}-${range.end - 1}/${size}` : `bytes */${size}`
}
