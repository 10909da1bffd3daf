// Hashes one shard in a single streaming pass: SHA-1 of every piece (the torrent) and SHA-256 of every file (the manifest).
import { createHash, type Hash } from 'node:crypto'
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'

export interface HashJob {
  id: number
  pieceLength: number
  /** Files in torrent order; `size` and `mtimeMs` as seen by the walk, to catch files that change under us. */
  files: Array<{ path: string, abs: string, size: number, mtimeMs: number }>
}

export interface HashResult {
  id: number
  /** Concatenated 20-byte SHA-1 digests, one per piece. */
  pieces: Uint8Array
  /** Hex SHA-256 of each file, in job order. */
  sha256: string[]
}

export type HashFailure = { id: number, error: { message: string, path: string, code?: string } }

const CHUNK = 1024 * 1024
const YIELD_EVERY = 8 * 1024 * 1024
// Jobs on one thread run one after another (the pool awaits each), so they can share it.
let chunkBuffer: Buffer | undefined

/**
 * Reads each file once, never holding more than one 1 MiB chunk; `onBytes` reports progress.
 * The reads are synchronous: each async read is a round trip through libuv's thread pool, and with
 * four of them per file (open, read, stat, close) a site of many small files spent most of its hashing
 * time waiting. This runs on a worker thread or in a build with nothing else to do meanwhile; it still
 * yields to the event loop every few MiB so progress, aborts and signals get through.
 */
export async function hashShard (job: HashJob, onBytes: (n: number) => void = () => {}, signal?: AbortSignal): Promise<HashResult> {
  const pieces: Buffer[] = []
  const sha256: string[] = []
  // One buffer per thread, reused by every job: a fresh 1 MiB per shard lived on as garbage until a GC.
  const buffer = (chunkBuffer ??= Buffer.allocUnsafe(CHUNK))
  let piece: Hash = createHash('sha1')
  let inPiece = 0
  let sinceYield = 0
  for (const file of job.files) {
    const fileHash = createHash('sha256')
    let fd: number
    try {
      fd = openSync(file.abs, 'r')
    } catch (err) {
      throw Object.assign(err as Error, { path: file.path })
    }
    try {
      let position = 0
      while (position < file.size) {
        const bytesRead = readSync(fd, buffer, 0, Math.min(CHUNK, file.size - position), position)
        if (bytesRead === 0) break
        const chunk = buffer.subarray(0, bytesRead)
        fileHash.update(chunk)
        let offset = 0
        while (offset < bytesRead) {
          const take = Math.min(job.pieceLength - inPiece, bytesRead - offset)
          piece.update(chunk.subarray(offset, offset + take))
          inPiece += take
          offset += take
          if (inPiece === job.pieceLength) {
            pieces.push(piece.digest())
            piece = createHash('sha1')
            inPiece = 0
          }
        }
        position += bytesRead
        onBytes(bytesRead)
        if ((sinceYield += bytesRead) >= YIELD_EVERY) {
          sinceYield = 0
          await new Promise(resolve => setImmediate(resolve))
          signal?.throwIfAborted()
        }
      }
      // A file that grew, shrank or was rewritten while we read it would give a torrent that matches nothing.
      const after = fstatSync(fd)
      if (position !== file.size || after.size !== file.size || after.mtimeMs !== file.mtimeMs) {
        throw Object.assign(new Error('changed while planktos was reading it'), { code: 'ECHANGED', path: file.path })
      }
    } catch (err) {
      throw Object.assign(err as Error, { path: (err as { path?: string }).path ?? file.path })
    } finally {
      closeSync(fd)
    }
    sha256.push(fileHash.digest('hex'))
  }
  if (inPiece > 0) pieces.push(piece.digest())
  return { id: job.id, pieces: Buffer.concat(pieces), sha256 }
}
