// Byte geometry shared by the store, the chunk store and the web seed: how a torrent's pieces map onto its
// files (laid end to end, no padding), and how stored segments of a file add up. Pure, tested in Node.

export interface Placed {
  /** Byte offset of the file within its torrent. */
  offset: number
  size: number
}

/** Part of one file inside a torrent byte range. */
export interface Span {
  /** Index of the file in the torrent's file list. */
  file: number
  /** Byte range within the file, end exclusive. */
  start: number
  end: number
  /** Where this span begins within the requested torrent range. */
  at: number
}

/** The files' byte ranges that make up torrent bytes [start, end), in order; empty files are skipped. */
export function spans (files: readonly Placed[], start: number, end: number): Span[] {
  const out: Span[] = []
  // Binary search for the first file ending after `start`: shards may hold thousands of files.
  let lo = 0
  let hi = files.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const f = files[mid]!
    if (f.offset + f.size <= start) lo = mid + 1
    else hi = mid
  }
  for (let i = lo; i < files.length; i++) {
    const f = files[i]!
    if (f.offset >= end) break
    if (f.size === 0) continue
    const s = Math.max(start, f.offset)
    const e = Math.min(end, f.offset + f.size)
    out.push({ file: i, start: s - f.offset, end: e - f.offset, at: s - start })
  }
  return out
}

/** Torrent byte range [start, end) of piece `index`. */
export function pieceBounds (index: number, pieceLength: number, total: number): [number, number] {
  const start = index * pieceLength
  return [start, Math.min(total, start + pieceLength)]
}

/** First and last piece holding bytes of `file`, or null for an empty file. */
export function piecesOf (file: Placed, pieceLength: number): [number, number] | null {
  if (file.size === 0) return null
  return [Math.floor(file.offset / pieceLength), Math.floor((file.offset + file.size - 1) / pieceLength)]
}

/**
 * The pieces that bytes [start, end) of a torrent of `total` bytes fill whole (the last piece may end with the
 * torrent), or undefined when they fill none: a piece that also holds bytes outside them is left out.
 */
export function piecesWithin (start: number, end: number, pieceLength: number, total: number): [number, number] | undefined {
  const first = Math.ceil(start / pieceLength)
  const last = Math.floor(end / pieceLength) - (end === total && end % pieceLength ? 0 : 1)
  return first <= last ? [first, last] : undefined
}

/** Sorted, merged copy of `intervals` ([start, end) pairs). */
export function merge (intervals: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
  const sorted = intervals.filter(([s, e]) => e > s).map(([s, e]): [number, number] => [s, e]).sort((a, b) => a[0] - b[0])
  const out: Array<[number, number]> = []
  for (const [s, e] of sorted) {
    const last = out[out.length - 1]
    if (last && s <= last[1]) last[1] = Math.max(last[1], e)
    else out.push([s, e])
  }
  return out
}

/** Whether merged `intervals` cover all of [start, end). */
export function covers (intervals: ReadonlyArray<readonly [number, number]>, start: number, end: number): boolean {
  if (end <= start) return true
  return intervals.some(([s, e]) => s <= start && e >= end)
}

/** Bytes [start, end) of a file put together from stored segments (which may overlap), or undefined on a gap. */
export function assemble (segments: ReadonlyArray<{ start: number, bytes: Uint8Array }>, start: number, end: number): Uint8Array | undefined {
  const out = new Uint8Array(end - start)
  let filled = start
  const sorted = [...segments].sort((a, b) => a.start - b.start)
  for (const { start: s, bytes } of sorted) {
    const e = s + bytes.length
    if (e <= filled) continue
    if (s > filled) break
    const to = Math.min(e, end)
    out.set(bytes.subarray(filled - s, to - s), filled - start)
    filled = to
    if (filled >= end) break
  }
  return filled >= end ? out : undefined
}
