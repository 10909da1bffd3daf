// The builder on bad input: one clear sentence, and the folder left exactly as it was.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { execFileSync } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import { mkdir, readFile, rename, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { build, BuildError } from '../integrations/builder/index.ts'
import { cleanup, isFile, seededBytes, snapshot, tempDir, writeTree } from './helpers/fs.ts'

const OPTS = { announce: ['ws://127.0.0.1:1'] }

async function buildError (promise: Promise<unknown>): Promise<BuildError> {
  try {
    await promise
  } catch (err) {
    assert.instance(err, BuildError)
    assert.not.match((err as Error).message, /\n/, 'one sentence, one line')
    return err as BuildError
  }
  assert.unreachable('the build should have failed')
  throw new Error('unreachable')
}

const input = suite('bad input')
input.after(cleanup)

input('says the folder is missing', async () => {
  const dir = await tempDir()
  const err = await buildError(build(join(dir, 'nope'), OPTS))
  assert.match(err.message, 'does not exist')
})

input('says a file was given where a folder was expected', async () => {
  const dir = await tempDir()
  await writeFile(join(dir, 'f.txt'), 'x')
  const err = await buildError(build(join(dir, 'f.txt'), OPTS))
  assert.match(err.message, 'is a file, not a folder')
})

input('leaves the folder untouched when a file vanishes during the build', async () => {
  const dir = await tempDir()
  await writeTree(dir, { 'index.html': '<html><head></head></html>', 'a.bin': seededBytes('a', 5000) })
  const before = await snapshot(dir)
  const err = await buildError(build(dir, OPTS, {
    onProgress: p => { if (p.phase === 'hash' && p.done === 0) rmSync(join(dir, 'a.bin'), { force: true }) }
  }))
  assert.match(err.message, 'a.bin')
  const after = await snapshot(dir)
  delete before['a.bin']
  assert.equal(after, before)
})

input('reports a file that changes while it is read, and leaves the folder untouched', async () => {
  const dir = await tempDir()
  await writeTree(dir, { 'index.html': '<html><head></head></html>', 'a.bin': seededBytes('a', 5000) })
  let done = false
  const err = await buildError(build(dir, OPTS, {
    onProgress: p => {
      if (p.phase === 'hash' && p.done === 0 && !done) {
        done = true
        writeFileSync(join(dir, 'a.bin'), seededBytes('b', 6000))
      }
    }
  }))
  assert.match(err.message, /a\.bin|changed|disappeared/)
  assert.not.ok(await isFile(join(dir, 'planktos/manifest.json')))
  assert.not.match(await readFile(join(dir, 'index.html'), 'utf8'), 'planktos')
})

input.run()

const links = suite('symlinks')
links.after(cleanup)

links('follows a symlinked file and folder once, and skips a loop and a dangling link with a warning', async () => {
  const dir = await tempDir()
  await writeTree(dir, { 'real/a.txt': 'a', 'b.txt': 'b' })
  await symlink(join(dir, 'b.txt'), join(dir, 'link-to-b.txt'))
  await symlink(join(dir, 'real'), join(dir, 'linked-dir'))
  await symlink(dir, join(dir, 'real/loop'))
  await symlink(join(dir, 'missing.txt'), join(dir, 'dangling.txt'))
  const result = await build(dir, OPTS)
  const manifest = JSON.parse(await readFile(join(dir, 'planktos/manifest.json'), 'utf8'))
  const part = JSON.parse(await readFile(join(dir, manifest.shards[0].part), 'utf8'))
  assert.equal(part.files.map((f: { path: string }) => f.path), ['b.txt', 'link-to-b.txt', 'linked-dir/a.txt', 'real/a.txt'])
  assert.ok(result.warnings.some(w => w.includes('dangling.txt') && w.includes('missing')), result.warnings.join('|'))
  assert.ok(result.warnings.some(w => w.includes('loop')), result.warnings.join('|'))
})

links.run()

const atomic = suite('all or nothing')
atomic.after(cleanup)

atomic('rolls the folder back when the build is aborted', async () => {
  const dir = await tempDir()
  await writeTree(dir, { 'index.html': '<html><head></head><body>hi</body></html>', 'big.bin': seededBytes('big', 12 * 1024 * 1024) })
  const before = await snapshot(dir)
  const controller = new AbortController()
  let aborted = false
  try {
    await build(dir, OPTS, {
      signal: controller.signal,
      onProgress: p => { if (p.phase === 'hash' && p.done > 0 && !aborted) { aborted = true; controller.abort(new Error('stop')) } }
    })
  } catch (err) {
    assert.is((err as Error).message, 'stop')
  }
  assert.ok(aborted, 'the abort happened mid-hash')
  assert.equal(await snapshot(dir), before)
})

atomic('restores a folder that a killed build left half-committed, then builds', async () => {
  const dir = await tempDir()
  await writeTree(dir, { 'index.html': '<html><head></head><body>original</body></html>' })
  // What a build killed between its two renames leaves: the original moved aside, the new page not yet in place.
  await mkdir(join(dir, '.planktos-staging/new'), { recursive: true })
  await mkdir(join(dir, '.planktos-staging/old'), { recursive: true })
  await writeFile(join(dir, '.planktos-staging/new/0'), '<html>half-built</html>')
  await rename(join(dir, 'index.html'), join(dir, '.planktos-staging/old/0'))
  await writeFile(join(dir, '.planktos-staging/journal.json'), JSON.stringify({ state: 'committing', swaps: [{ rel: 'index.html', staged: 'new/0', old: 'old/0' }] }))
  const result = await build(dir, OPTS)
  assert.ok(result.warnings.some(w => w.includes('interrupted')))
  const html = await readFile(join(dir, 'index.html'), 'utf8')
  assert.match(html, 'original')
  assert.match(html, 'planktos/install.js')
  assert.not.ok(await isFile(join(dir, '.planktos-staging/journal.json')))
})

atomic('replaces an earlier planktos build cleanly: no files of the old build remain', async () => {
  const dir = await tempDir()
  await writeTree(dir, { 'index.html': '<html><head></head></html>', 'a.txt': 'one' })
  const first = await build(dir, OPTS)
  await writeFile(join(dir, 'a.txt'), 'two')
  const second = await build(dir, OPTS)
  assert.is.not(first.shards[0]!.infoHash, second.shards[0]!.infoHash)
  const snap = await snapshot(dir)
  assert.not.ok(Object.keys(snap).some(p => p.includes(first.shards[0]!.infoHash)), 'old torrent removed')
  assert.is(Object.keys(snap).filter(p => p.startsWith('planktos/p/') && !p.endsWith('/')).length, 1)
})

atomic.run()

const odd = suite('odd names and folders')
odd.after(cleanup)

odd('keeps a file name with a newline and a very long path exactly as on disk', async () => {
  const dir = await tempDir()
  const deep = Array.from({ length: 12 }, (_, i) => `folder-with-a-rather-long-name-${i}`).join('/')
  const long = `${deep}/${'n'.repeat(200)}.txt`
  await writeTree(dir, { 'line\nbreak.txt': 'newline', [long]: 'deep' })
  await build(dir, OPTS)
  const manifest = JSON.parse(await readFile(join(dir, 'planktos/manifest.json'), 'utf8'))
  const part = JSON.parse(await readFile(join(dir, manifest.shards[0].part), 'utf8'))
  assert.equal(part.files.map((f: { path: string }) => f.path).sort(), [long, 'line\nbreak.txt'].sort())
})

odd('says a read-only output folder cannot be written, and leaves it as it was', async () => {
  const dir = await tempDir()
  await writeTree(dir, { 'index.html': '<html><head></head></html>' })
  const before = await snapshot(dir)
  // chattr +i: root ignores permission bits, so the folder is made immutable instead.
  execFileSync('chattr', ['+i', dir])
  try {
    const err = await buildError(build(dir, OPTS))
    assert.match(err.message, dir)
    assert.match(err.message, /not permitted|permission|read-only/)
  } finally {
    execFileSync('chattr', ['-i', dir])
  }
  assert.equal(await snapshot(dir), before)
})

odd.run()
