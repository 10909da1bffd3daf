// What the worker trusts after a restart chains back to its own script: a stored manifest must hash to its build id,
// a stored shard list to the name in its path; a copy altered in the store (by any same-origin script) is not used.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { build } from '../integrations/builder/index.ts'
import type { Manifest, ShardPart } from '../runtime/shared/manifest.ts'
import { manifestIntact, partIntact } from '../runtime/shared/integrity.ts'
import { cleanup, tempDir, writeTree } from './helpers/fs.ts'

const test = suite('stored manifests and shard lists are checked against their names')
test.after(cleanup)

async function built (): Promise<{ manifest: Manifest, part: ShardPart, path: string }> {
  const dir = await tempDir()
  await writeTree(dir, { 'index.html': '<!doctype html><title>x</title>', 'a.txt': 'a', _headers: '/*\n  X-Frame-Options: DENY\n' })
  await build(dir, { announce: ['ws://127.0.0.1:1'] })
  const manifest = JSON.parse(await readFile(join(dir, 'planktos/manifest.json'), 'utf8')) as Manifest
  const path = manifest.shards[0]!.part
  return { manifest, part: JSON.parse(await readFile(join(dir, path), 'utf8')), path }
}

test('the build’s manifest and shard list pass, with the headers the worker recorded', async () => {
  const { manifest, part, path } = await built()
  assert.ok(await manifestIntact(manifest))
  assert.ok(await manifestIntact({ ...manifest, seen: { 'x-frame-options': 'DENY' } }))
  assert.ok(await partIntact(part, path))
})

test('a manifest or shard list altered in any field fails', async () => {
  const { manifest, part, path } = await built()
  const shards = structuredClone(manifest.shards)
  shards[0]!.part = 'planktos/p/00000000000000000000.json'
  assert.not.ok(await manifestIntact({ ...manifest, shards }))
  assert.not.ok(await manifestIntact({ ...manifest, notFound: 'index.html' }))
  const files = structuredClone(part.files)
  files[0]!.sha256 = '0'.repeat(64)
  assert.not.ok(await partIntact({ ...part, files }, path))
  assert.not.ok(await partIntact({ ...part, headers: [] }, path))
})

test.run()
