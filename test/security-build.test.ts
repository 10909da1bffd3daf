// The build never reaches outside its folder: symlinks out of it, a planted staging journal, pages that are not
// UTF-8, the site's own planktos/ files and names that are not UTF-8. A build that refuses leaves the folder (and
// what is beside it) exactly as it was.
import { execFileSync } from 'node:child_process'
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { build, BuildError } from '../integrations/builder/index.ts'
import { cleanup, snapshot, tempDir, writeTree } from './helpers/fs.ts'

const OPTS = { announce: ['ws://127.0.0.1:1'] }
const PAGE = '<!doctype html><html><head><title>x</title></head><body>x</body></html>'

/** A site folder `site/` with a sibling `outside/`, so a test can see what happens beside the site. */
async function siteBeside (outside: Record<string, string> = {}): Promise<{ top: string, dir: string, outside: string }> {
  const top = await tempDir()
  const dir = join(top, 'site')
  await writeTree(dir, { 'index.html': PAGE })
  await mkdir(join(top, 'outside'))
  await writeTree(join(top, 'outside'), outside)
  return { top, dir, outside: join(top, 'outside') }
}

async function listed (dir: string): Promise<string[]> {
  const manifest = JSON.parse(await readFile(join(dir, 'planktos/manifest.json'), 'utf8'))
  const paths: string[] = []
  for (const shard of manifest.shards) paths.push(...JSON.parse(await readFile(join(dir, shard.part), 'utf8')).files.map((f: { path: string }) => f.path))
  return paths.sort()
}

async function refusal (promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (err) {
    assert.instance(err, BuildError, String(err))
    assert.not.match((err as Error).message, /\n/, 'one sentence, one line')
    return (err as Error).message
  }
  assert.unreachable('the build should have refused')
  return ''
}

const links = suite('symlinks never lead the build out of its folder')
links.after(cleanup)

links('a symlinked folder outside the site is skipped: its page is not rewritten and its files are not listed', async () => {
  const { top, dir, outside } = await siteBeside({ 'page.html': PAGE, 'secret.env': 'TOKEN=1' })
  await symlink('../outside', join(dir, 'linkdir'))
  await symlink(join(outside, 'page.html'), join(dir, 'abs.html'))
  const before = await snapshot(join(top, 'outside'))
  const result = await build(dir, OPTS)
  assert.equal(await snapshot(join(top, 'outside')), before, 'nothing outside the site changed')
  assert.equal(await listed(dir), ['index.html'])
  assert.ok(result.warnings.some(w => w.includes('"linkdir"') && /outside the output folder/.test(w)), result.warnings.join('|'))
  assert.ok(result.warnings.some(w => w.includes('"abs.html"') && /outside the output folder/.test(w)), result.warnings.join('|'))
})

links('a symlink to /proc/self/environ or a device is never read: no secret reaches the folder or the manifest', async () => {
  const { dir } = await siteBeside()
  await symlink('/proc/self/environ', join(dir, 'env.html'))
  await symlink('/dev/zero', join(dir, 'zero.bin'))
  const saved = process.env.MY_CI_TOKEN
  process.env.MY_CI_TOKEN = 'ghp_secret_for_the_test'
  try {
    await build(dir, OPTS)
  } finally {
    if (saved === undefined) delete process.env.MY_CI_TOKEN
    else process.env.MY_CI_TOKEN = saved
  }
  const snap = await snapshot(dir)
  assert.is(snap['env.html'], 'link:/proc/self/environ', 'the link is still a link')
  assert.is(snap['zero.bin'], 'link:/dev/zero')
  assert.equal(await listed(dir), ['index.html'])
  for (const [path, what] of Object.entries(snap)) {
    if (what.startsWith('link:') || what === 'dir') continue
    assert.not.match(await readFile(join(dir, path), 'latin1'), 'ghp_secret', path)
  }
})

links('FIFOs, and symlinks to them, are skipped without being opened', async () => {
  const { dir } = await siteBeside()
  execFileSync('mkfifo', [join(dir, 'pipe.html')])
  await symlink('pipe.html', join(dir, 'to-pipe.html'))
  await build(dir, OPTS)
  assert.equal(await listed(dir), ['index.html'])
})

links('a page reached through a symlink inside the site is shared as it is: the link stays a link, its target is tagged once', async () => {
  const { dir } = await siteBeside()
  await writeTree(dir, { 'real/page.html': PAGE })
  await symlink('real', join(dir, 'alias'))
  await symlink('index.html', join(dir, 'home.html'))
  const result = await build(dir, OPTS)
  const snap = await snapshot(dir)
  assert.is(snap['alias'], 'link:real')
  assert.is(snap['home.html'], 'link:index.html')
  assert.equal(await listed(dir), ['alias/page.html', 'home.html', 'index.html', 'real/page.html'])
  const real = await readFile(join(dir, 'real/page.html'), 'utf8')
  assert.is(real.split('data-planktos').length, 2, 'tagged exactly once')
  assert.ok(result.warnings.some(w => /symlink/.test(w) && w.includes('home.html')), result.warnings.join('|'))
})

links.run()

const journal = suite('a planted staging journal is refused, and nothing moves')
journal.after(cleanup)

async function plant (dir: string, swaps: unknown): Promise<void> {
  await mkdir(join(dir, '.planktos-staging/old'), { recursive: true })
  await writeFile(join(dir, '.planktos-staging/journal.json'), JSON.stringify({ state: 'committing', swaps }))
}

for (const [name, swaps] of [
  ['deletes a folder beside the site', [{ rel: '../victim', staged: 'new/0', old: 'old/0' }]],
  ['writes a file beside the site', [{ rel: '../written.txt', staged: 'new/0', old: 'old/0' }]],
  ['names an absolute path', [{ rel: '/tmp/x.html', staged: 'new/0', old: 'old/0' }]],
  ['moves a file in from elsewhere', [{ rel: 'index.html', staged: 'new/0', old: '../../outside/keep.txt' }]],
  ['deletes a file the site owns', [{ rel: 'data.txt', staged: 'new/0', old: 'old/0' }]],
  ['deletes the site’s pages', [{ rel: 'index.html', staged: 'new/0', old: 'old/0' }]],
  ['is not a journal', { rel: 'x' }]
] as const) {
  journal(`a journal that ${name} is refused`, async () => {
    const { top, dir } = await siteBeside({ 'keep.txt': 'keep' })
    await writeTree(top, { 'victim/a.txt': 'a' })
    await writeTree(dir, { 'data.txt': 'data' })
    await plant(dir, swaps)
    const before = await snapshot(top)
    const message = await refusal(build(dir, OPTS))
    assert.match(message, /journal\.json/)
    assert.equal(await snapshot(top), before)
  })
}

journal('a journal that would delete planktos/ holding the site’s own files is refused', async () => {
  const { top, dir } = await siteBeside()
  await writeTree(dir, { 'planktos/x.html': 'the site’s own' })
  await plant(dir, [{ rel: 'planktos', staged: 'new/tree/planktos', old: 'old/0' }])
  const before = await snapshot(top)
  assert.match(await refusal(build(dir, OPTS)), 'planktos/x.html')
  assert.equal(await snapshot(top), before)
})

journal('a journal reached through a symlink is refused', async () => {
  const { top, dir, outside } = await siteBeside()
  await writeFile(join(outside, 'journal.json'), JSON.stringify({ state: 'committing', swaps: [] }))
  await mkdir(join(dir, '.planktos-staging'))
  await symlink(join(outside, 'journal.json'), join(dir, '.planktos-staging/journal.json'))
  const before = await snapshot(top)
  assert.match(await refusal(build(dir, OPTS)), /journal\.json/)
  assert.equal(await snapshot(top), before)
})

journal('a staging folder that is a symlink is refused', async () => {
  const { top, dir, outside } = await siteBeside()
  await mkdir(join(outside, 'old'))
  await writeFile(join(outside, 'journal.json'), JSON.stringify({ state: 'committing', swaps: [] }))
  await symlink(outside, join(dir, '.planktos-staging'))
  const before = await snapshot(top)
  assert.match(await refusal(build(dir, OPTS)), /planktos-staging/)
  assert.equal(await snapshot(top), before)
})

journal('a journal whose page sits in a symlinked folder is refused', async () => {
  const { top, dir, outside } = await siteBeside({ 'page.html': PAGE })
  await symlink(outside, join(dir, 'linkdir'))
  await plant(dir, [{ rel: 'linkdir/page.html', staged: 'new/0', old: 'old/0' }])
  await writeFile(join(dir, '.planktos-staging/old/0'), 'planted')
  const before = await snapshot(top)
  assert.match(await refusal(build(dir, OPTS)), /symlink/)
  assert.equal(await snapshot(top), before)
})

journal.run()

const encodings = suite('pages that are not UTF-8 keep every byte')
encodings.after(cleanup)

encodings('a windows-1252 page keeps its é; only the tag is added', async () => {
  const { dir } = await siteBeside()
  const page = Buffer.concat([Buffer.from('<!doctype html><html><head><meta charset="windows-1252"><title>caf'), Buffer.from([0xe9]), Buffer.from('</title></head><body>'), Buffer.from([0xe9, 0x80]), Buffer.from('</body></html>')])
  await writeFile(join(dir, 'cp1252.html'), page)
  await build(dir, OPTS)
  const out = await readFile(join(dir, 'cp1252.html'))
  const tag = /<script src="[^"]*" async data-planktos><\/script>/.exec(out.toString('latin1'))
  assert.ok(tag, 'tagged')
  const without = Buffer.concat([out.subarray(0, tag.index), out.subarray(tag.index + tag[0].length)])
  assert.equal([...without], [...page])
})

encodings('a UTF-16 page is left exactly as it was, with a warning', async () => {
  const { dir } = await siteBeside()
  const page = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<!doctype html><html><head><title>é</title></head></html>', 'utf16le')])
  await writeFile(join(dir, 'utf16.html'), page)
  const result = await build(dir, OPTS)
  assert.equal([...await readFile(join(dir, 'utf16.html'))], [...page])
  assert.ok(result.warnings.some(w => w.includes('utf16.html') && /UTF-16/.test(w)), result.warnings.join('|'))
})

encodings('a UTF-8 page with a BOM keeps its BOM first', async () => {
  const { dir } = await siteBeside()
  await writeFile(join(dir, 'bom.html'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(PAGE)]))
  await build(dir, OPTS)
  const out = await readFile(join(dir, 'bom.html'))
  assert.equal([...out.subarray(0, 3)], [0xef, 0xbb, 0xbf])
  assert.match(out.toString(), 'data-planktos')
})

encodings.run()

const own = suite('files planktos did not write are never replaced silently')
own.after(cleanup)

own('the site’s own planktos/index.html: the build refuses, names it, and changes nothing', async () => {
  const { dir } = await siteBeside()
  await writeTree(dir, { 'planktos/index.html': '<p>our planktos page</p>' })
  const before = await snapshot(dir)
  assert.match(await refusal(build(dir, OPTS)), 'planktos/index.html')
  assert.equal(await snapshot(dir), before)
})

own('the site’s own planktos-sw.js: the build refuses and changes nothing', async () => {
  const { dir } = await siteBeside()
  await writeTree(dir, { 'planktos-sw.js': 'self.addEventListener("fetch", () => {})' })
  const before = await snapshot(dir)
  assert.match(await refusal(build(dir, OPTS)), 'planktos-sw.js')
  assert.equal(await snapshot(dir), before)
})

own('a planktos-sw.js symlinked elsewhere is refused, and its target is untouched', async () => {
  const { top, dir, outside } = await siteBeside({ 'sw.js': 'self.PLANKTOS_CONFIG = {};' })
  await symlink(join(outside, 'sw.js'), join(dir, 'planktos-sw.js'))
  const before = await snapshot(top)
  assert.match(await refusal(build(dir, OPTS)), 'planktos-sw.js')
  assert.equal(await snapshot(top), before)
})

own('an earlier build’s files are replaced, as before', async () => {
  const { dir } = await siteBeside()
  await build(dir, OPTS)
  await build(dir, { ...OPTS, killSwitch: true })
  await build(dir, OPTS)
  assert.equal(await listed(dir), ['index.html'])
})

own.run()

const names = suite('names that are not UTF-8')
names.after(cleanup)

names('a file whose name is not UTF-8 is skipped with a warning that says so; the rest is built', async () => {
  const { dir } = await siteBeside()
  // Node names files by string; a Latin-1 byte in the name needs a Buffer path.
  await writeFile(Buffer.concat([Buffer.from(dir + '/caf'), Buffer.from([0xe9]), Buffer.from('.txt')]), 'latin1 name')
  const result = await build(dir, OPTS)
  assert.equal(await listed(dir), ['index.html'])
  assert.ok(result.warnings.some(w => /not valid UTF-8/.test(w)), result.warnings.join('|'))
})

names.run()
