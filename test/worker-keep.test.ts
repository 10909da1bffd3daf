// Storing a verified file follows the storage budget (`maxStorage`) of the build the file belongs to, not that of
// the newest deploy the worker knows: a page of an older build keeps its build's settings (issue 11 item 5). In Node,
// with the worker's scope faked and IndexedDB in memory.
import { build, deploy } from './helpers/worker-scope.ts'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { completed, keep } from '../runtime/worker/keep.ts'
import { currentManifest, loadManifest, lookup } from '../runtime/worker/site.ts'
import { store } from '../runtime/worker/storage.ts'

const test = suite('storing a file follows its own build\'s budget')

test('a file of an older build with a small budget makes room by that budget, though the newest allows more', async () => {
  // Build A: three 100-byte files and room for two of them. Build B, the newest: room for everything.
  const a = build('build-a', { 'one.html': 'a1', 'two.html': 'a2', 'three.html': 'a3' }, { maxStorage: 250 })
  const b = build('build-b', { 'one.html': 'b1' }, { maxStorage: 1e9 })
  deploy(a)
  const found = await Promise.all(['one.html', 'two.html', 'three.html'].map(p => lookup(p, a.manifest)))
  deploy(b)
  await loadManifest()
  assert.is(currentManifest()?.buildId, 'build-b', 'the worker knows build B as the newest')
  for (const f of found) await keep(f!, new Uint8Array(100))
  const db = (await store())!
  const kept = await Promise.all(found.map(async f => !!(await db.record(f!.entry.sha256))?.complete))
  assert.equal(kept, [false, true, true], 'the oldest file made room for the third, within build A\'s 250 bytes')
})

test('a file completed from peers or a streamed download makes room by its own build\'s budget too', async () => {
  // Build C: two 100-byte files and room for one; build B (the newest, from the case above) has room for everything.
  const c = build('build-c', { 'four.html': 'c4', 'five.html': 'c5' }, { maxStorage: 150 })
  deploy(c)
  const found = await Promise.all(['four.html', 'five.html'].map(p => lookup(p, c.manifest)))
  deploy(build('build-b', { 'one.html': 'b1' }, { maxStorage: 1e9 }))
  await loadManifest()
  const db = (await store())!
  // What earlier cases kept goes first, so only these two files compete for build C's 150 bytes.
  for (const r of await db.records()) await db.remove(r.sha256)
  for (const f of found) {
    await db.putSegments([{ sha256: f!.entry.sha256, size: 100, start: 0, bytes: new Uint8Array(100) }])
    await completed(f!)
  }
  const kept = await Promise.all(found.map(async f => !!(await db.record(f!.entry.sha256))?.complete))
  assert.equal(kept, [false, true], 'the first file made room for the second, within build C\'s 150 bytes')
})

test.run()
