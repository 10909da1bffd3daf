// Temporary folders and tree snapshots for tests that build sites on disk.
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, mkdtemp, readdir, readlink, rm, writeFile, lstat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

const made: string[] = []

/** A fresh empty folder under the OS temp dir; removed by cleanup(). */
export async function tempDir (prefix = 'planktos-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  made.push(dir)
  return dir
}

/** Removes every folder tempDir() made. */
export async function cleanup (): Promise<void> {
  await Promise.all(made.splice(0).map(dir => rm(dir, { recursive: true, force: true })))
}

/** Writes files given as { 'a/b.html': contents }. */
export async function writeTree (root: string, files: Record<string, string | Uint8Array>): Promise<void> {
  for (const [path, data] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true })
    await writeFile(join(root, path), data)
  }
}

/** Deterministic pseudo-random bytes, so generated sites are the same on every run. */
export function seededBytes (seed: string, size: number): Buffer {
  const out = Buffer.alloc(size)
  let block = createHash('sha256').update(seed).digest()
  for (let offset = 0; offset < size; offset += 32) {
    block.copy(out, offset)
    block = createHash('sha256').update(block).digest()
  }
  return out
}

export function randomName (): string {
  return randomBytes(6).toString('hex')
}

/** Every entry under root (files by SHA-256, symlinks by target, folders as such), for before/after comparisons. */
export async function snapshot (root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  async function visit (dir: string, rel: string): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name
      const abs = join(dir, entry.name)
      if (entry.isSymbolicLink()) out[path] = `link:${await readlink(abs)}`
      else if (entry.isDirectory()) {
        out[path + '/'] = 'dir'
        await visit(abs, path)
      } else out[path] = await hashFile(abs)
    }
  }
  await visit(root, '')
  return out
}

/** SHA-256 of a file, streamed (test folders may hold files of several GiB). */
async function hashFile (path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk)
  return hash.digest('hex')
}

export async function isFile (path: string): Promise<boolean> {
  try { return (await lstat(path)).isFile() } catch { return false }
}
