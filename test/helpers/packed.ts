// What the adapter tests check on every build: the manifest read back from disk, and the output it must cover.
import * as assert from 'uvu/assert'
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { FileEntry, Manifest, ShardPart } from '../../runtime/shared/manifest.ts'

/** Every file under `dir`, relative and `/`-separated, except the ones planktos itself wrote. */
export async function outputFiles (dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter(e => e.isFile())
    .map(e => join(e.parentPath, e.name).slice(dir.length + 1).split('\\').join('/'))
    .filter(path => path !== 'planktos-sw.js' && !path.startsWith('planktos/'))
    .sort()
}

/** The root manifest of the site built in `dir`, its parts in shard order, and every file entry by path. */
export async function readManifest (dir: string): Promise<{ manifest: Manifest, parts: ShardPart[], files: Map<string, FileEntry> }> {
  const manifest: Manifest = JSON.parse(await readFile(join(dir, 'planktos/manifest.json'), 'utf8'))
  const parts: ShardPart[] = []
  const files = new Map<string, FileEntry>()
  for (const shard of manifest.shards) {
    const part: ShardPart = JSON.parse(await readFile(join(dir, shard.part), 'utf8'))
    parts.push(part)
    for (const entry of part.files) files.set(entry.path, entry)
  }
  return { manifest, parts, files }
}

/** Checks what every planktos build must give: each output file in the manifest with its size, and the tag in each page. */
export async function assertPacked (dir: string, base: string): Promise<{ manifest: Manifest, files: Map<string, FileEntry> }> {
  const onDisk = await outputFiles(dir)
  const { manifest, files } = await readManifest(dir)
  assert.is(manifest.base, base)
  assert.equal([...files.keys()].sort(), onDisk)
  const tag = `<script src="${base}planktos/install.js" async data-planktos></script>`
  for (const path of onDisk) {
    assert.is(files.get(path)!.size, (await stat(join(dir, path))).size, path)
    if (path.endsWith('.html')) assert.is((await readFile(join(dir, path), 'utf8')).split(tag).length - 1, 1, `install tag in ${path}`)
  }
  return { manifest, files }
}

/** Runs `fn` with stdout and stderr captured, so a host's log can be asserted on (and stays off the test output). */
export async function captured<T> (fn: () => Promise<T>): Promise<{ value: T, log: string }> {
  let log = ''
  const { write: out } = process.stdout
  const { write: err } = process.stderr
  const capture = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    log += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString()
    const done = rest.find(r => typeof r === 'function') as (() => void) | undefined
    done?.()
    return true
  }) as typeof process.stdout.write
  process.stdout.write = process.stderr.write = capture
  try {
    return { value: await fn(), log: log.replace(/\x1b\[[0-9;]*m/g, '') }
  } catch (error) {
    throw Object.assign(error as Error, { log })
  } finally {
    process.stdout.write = out
    process.stderr.write = err
  }
}
