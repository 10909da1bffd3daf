// Splits the site's files into torrents ("shards") so that a redeploy changes as few infohashes as possible.
//
// The rule (documented in docs/how-it-works.md):
// 1. A site of at most `shardSize` bytes and MAX_FILES files is one shard.
// 2. Otherwise a file of at least `shardSize / 2` bytes is a shard of its own.
// 3. The other files, in path order, are cut before every "boundary" file: one whose path hashes to a
//    value with its low `k` bits zero, where k depends only on `shardSize` (about one boundary per
//    shardSize / 64 KiB files). A boundary depends only on the file's own path, so editing a file's
//    bytes changes no boundary, and adding or deleting a file only changes the run it falls in.
// 4. A run over `2 × shardSize` bytes or MAX_FILES files is cut again at boundaries of k-1 bits (and so on),
//    which again only looks at paths and at that run's own size. The file bound keeps each shard's part of
//    the manifest small: a visitor fetches the part of every shard it needs.
import { createHash } from 'node:crypto'

/** Nominal average file size used to pick how often boundaries occur. */
const NOMINAL_FILE_SIZE = 64 * 1024
/** Most files in one shard (its manifest part is ~200 bytes a file). */
export const MAX_FILES = 1000

export interface Sizable { path: string, size: number }

/** Groups `files` (already in path order) into shards; returns lists of indices into `files`. */
export function planShards<T extends Sizable> (files: readonly T[], shardSize: number): number[][] {
  const total = files.reduce((sum, f) => sum + f.size, 0)
  if (files.length === 0) return []
  if (total <= shardSize && files.length <= MAX_FILES) return [files.map((_, i) => i)]

  const shards: number[][] = []
  const small: number[] = []
  files.forEach((file, i) => {
    if (file.size >= shardSize / 2) shards.push([i])
    else small.push(i)
  })
  const k = Math.max(0, Math.floor(Math.log2(shardSize / NOMINAL_FILE_SIZE)))
  const marks = small.map(i => pathMark(files[i]!.path))
  const cut = (run: number[], bits: number): void => {
    const size = run.reduce((sum, pos) => sum + files[small[pos]!]!.size, 0)
    if ((size <= 2 * shardSize && run.length <= MAX_FILES) || bits === 0 || run.length === 1) {
      shards.push(run.map(pos => small[pos]!))
      return
    }
    const mask = (2 ** (bits - 1)) - 1
    let current: number[] = []
    for (const pos of run) {
      if (current.length > 0 && (marks[pos]! & mask) === 0) {
        cut(current, bits - 1)
        current = []
      }
      current.push(pos)
    }
    cut(current, bits - 1)
  }
  const mask = (2 ** k) - 1
  let run: number[] = []
  small.forEach((_, pos) => {
    if (run.length > 0 && (marks[pos]! & mask) === 0) {
      cut(run, k)
      run = []
    }
    run.push(pos)
  })
  if (run.length) cut(run, k)
  // Shards are listed in the order of their first file, which is stable and easy to reason about.
  return shards.sort((a, b) => a[0]! - b[0]!)
}

/** 32 bits of SHA-256 of the path: a fixed, uniformly spread property of the name alone. */
function pathMark (path: string): number {
  return createHash('sha256').update(path).digest().readUInt32BE(0)
}

/** Most pieces of a shard of many files: small pieces, so that fetching one small file seldom drags in its neighbours. */
const PIECES = 1024
/**
 * Most pieces of a shard holding one file (rule 2 makes every large file one): each piece costs a page a store
 * transaction, a SHA-1 call, a `have` to every peer and WebTorrent's bookkeeping, and in bench crowd (5 visitors, one
 * 16 MiB file, 2026-12-05) ~1,024 pieces of 16 KiB took 41.9 s, ~256 took 32.6 s, ~128 took 28.0-31.8 s and ~64
 * 29.0 s. BitTorrent clients commonly use 256 KiB-1 MiB pieces for files this size.
 */
const PIECES_ONE_FILE = 128

/** Piece length for a shard of `files` files: a power of two from 16 KiB to 4 MiB, keeping the piece count near the limits above or under. */
export function pieceLengthFor (size: number, files: number): number {
  const most = files === 1 ? PIECES_ONE_FILE : PIECES
  let length = 16 * 1024
  while (size / length > most && length < 4 * 1024 * 1024) length *= 2
  return length
}
