// Hashes one shard in a single streaming pass: SHA-1 of every piece (the torrent) and SHA-256 of every file (the manifest).
import { createHash, type Hash } from 'node:crypto'
import { open, stat } from 'node:fs/promises'

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

/** Reads each file once, never holding more than one 1 MiB chunk; `onBytes` reports progress. */
export async function hashShard (job: HashJob, onBytes: (n: number) => void = () => {}): Promise<HashResult> {
  const pieces: Buffer[] = []
  const sha256: string[] = []
  const buffer = Buffer.allocUnsafe(CHUNK)
  let piece: Hash = createHash('sha1')
  let inPiece = 0
  for (const file of job.files) {
    const fileHash = createHash('sha256')
    let handle
    try {
      handle = await open(file.abs, 'r')
    } catch (err) {
      throw Object.assign(err as Error, { path: file.path })
    }
    try {
      let position = 0
      while (position < file.size) {
        const { bytesRead } = await handle.read(buffer, 0, Math.min(CHUNK, file.size - position), position)
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
      }
      // A file that grew, shrank or was rewritten while we read it would give a torrent that matches nothing.
      const after = await stat(file.abs)
      if (position !== file.size || after.size !== file.size || after.mtimeMs !== file.mtimeMs) {
        throw Object.assign(new Error('changed while planktos was reading it'), { code: 'ECHANGED', path: file.path })
      }
    } catch (err) {
      throw Object.assign(err as Error, { path: (err as { path?: string }).path ?? file.path })
    } finally {
      await handle.close()
    }
    sha256.push(fileHash.digest('hex'))
  }
  if (inPiece > 0) pieces.push(piece.digest())
  return { id: job.id, pieces: Buffer.concat(pieces), sha256 }
}
