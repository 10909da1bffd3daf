// What a kill-switch build leaves in a site folder: a worker that removes planktos, an install.js that does too, and
// nothing else of planktos; the site's own files untouched. A normal build afterwards puts planktos back.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { build } from '../integrations/builder/index.ts'
import { packageRoot } from '../integrations/builder/runtime-files.ts'
import { cleanup, tempDir, writeTree } from './helpers/fs.ts'

const SITE = {
  'index.html': '<!doctype html><html><head><meta charset="utf-8"><title>Home</title></head><body>Home</body></html>',
  'notes.txt': 'notes\n'
}
const OPTIONS = { announce: ['ws://127.0.0.1:1'] }

const test = suite('kill-switch build')
test.after(cleanup)

test('replaces planktos with a removing worker and install.js, and leaves the site files alone', async () => {
  const dir = await tempDir()
  await writeTree(dir, SITE)
  await build(dir, OPTIONS)
  const tagged = await readFile(join(dir, 'index.html'), 'utf8')
  const result = await build(dir, { ...OPTIONS, killSwitch: true })
  assert.is(result.manifest, null)
  assert.equal(await readdir(join(dir, 'planktos')), ['install.js'], 'no manifest, part, torrent or downloader is left')
  const remover = await readFile(join(packageRoot(), 'dist', 'runtime', 'remove.js'))
  assert.ok((await readFile(join(dir, 'planktos', 'install.js'))).equals(remover), 'install.js is the remover')
  const worker = await readFile(join(dir, 'planktos-sw.js'), 'utf8')
  assert.match(worker.split('\n')[0]!, /"killSwitch":true/)
  assert.is(await readFile(join(dir, 'index.html'), 'utf8'), tagged, 'pages keep their tag: it now loads the remover')
  assert.is(await readFile(join(dir, 'notes.txt'), 'utf8'), 'notes\n')
})

test('a normal build after a kill switch installs planktos again', async () => {
  const dir = await tempDir()
  await writeTree(dir, SITE)
  await build(dir, { ...OPTIONS, killSwitch: true })
  const result = await build(dir, OPTIONS)
  assert.ok(result.manifest)
  assert.ok((await readdir(join(dir, 'planktos'))).includes('manifest.json'))
  const remover = await readFile(join(packageRoot(), 'dist', 'runtime', 'remove.js'))
  assert.not.ok((await readFile(join(dir, 'planktos', 'install.js'))).equals(remover))
  assert.match((await readFile(join(dir, 'planktos-sw.js'), 'utf8')).split('\n')[0]!, /"killSwitch":false/)
})

test.run()
