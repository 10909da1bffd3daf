// Paths that could leave the site, and names that could forge output: the runtime refuses a manifest path that
// climbs out of the base, the builder never lists one (nor a name a BitTorrent client on Windows would split), and
// the CLI prints hostile file names escaped, on one line.
import { symlink, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import bencode from 'bencode'
import { build } from '../integrations/builder/index.ts'
import { quote } from '../integrations/builder/errors.ts'
import { fileUrl, isSitePath } from '../runtime/shared/urls.ts'
import { planktos } from './helpers/cli.ts'
import { cleanup, tempDir, writeTree } from './helpers/fs.ts'

const OPTS = { announce: ['ws://127.0.0.1:1'] }

const runtime = suite('the runtime refuses manifest paths that leave the site')

runtime('dot segments, empty segments, backslashes and NUL are refused', () => {
  for (const path of ['..', '../secret.txt', 'a/../../b', './a', 'a/./b', '', 'a//b', '/etc/passwd', 'a/', '..\\secret', 'a\\b', 'a\0b']) {
    assert.is(isSitePath(path), false, JSON.stringify(path))
    assert.throws(() => fileUrl('/docs/', path), /leaves the site/, JSON.stringify(path))
  }
})

runtime('ordinary names, dots inside names included, are accepted', () => {
  for (const path of ['index.html', '..a', 'a..', '...', '.well-known/x', 'a b/%2e%2e.txt', 'café/ü.png']) {
    assert.ok(isSitePath(path), JSON.stringify(path))
  }
  // `%` is encoded, so the URL parser never sees `%2e%2e` as a dot segment.
  assert.is(fileUrl('/docs/', 'a b/%2e%2e.txt'), '/docs/a%20b/%252e%252e.txt')
})

runtime.run()

const builder = suite('the builder lists no name that could leave a download folder')
builder.after(cleanup)

builder('skips a file whose name holds a backslash, with a warning, and keeps the rest', async () => {
  const dir = await tempDir()
  await writeTree(dir, { 'index.html': '<!doctype html><title>x</title>', '..\\..\\evil.txt': 'evil', 'ok.txt': 'ok', 'sub\\dir/x.txt': 'x' })
  const result = await build(dir, OPTS)
  const manifest = result.manifest!
  const paths: string[] = []
  for (const shard of manifest.shards) {
    const part = JSON.parse(await readFile(join(dir, shard.part), 'utf8')) as { files: Array<{ path: string }> }
    paths.push(...part.files.map(f => f.path))
    // The torrent a BitTorrent client reads: no path element holds a separator or a dot segment.
    const torrent = bencode.decode(await readFile(join(dir, shard.torrent))) as { info: { files?: Array<{ path: Uint8Array[] }> } }
    for (const file of torrent.info.files ?? []) {
      for (const element of file.path) {
        const name = new TextDecoder().decode(element)
        assert.ok(name !== '..' && name !== '.' && !name.includes('\\') && !name.includes('/'), `torrent path element ${JSON.stringify(name)}`)
      }
    }
  }
  assert.equal(paths.sort(), ['index.html', 'ok.txt'])
  assert.ok(paths.every(isSitePath))
  assert.ok(result.warnings.some(w => w.includes('evil.txt') && /backslash/.test(w)), result.warnings.join('|'))
  assert.ok(result.warnings.some(w => w.includes('sub\\\\dir') && /backslash/.test(w)), result.warnings.join('|'))
})

builder.run()

const output = suite('file names in messages are escaped')
output.after(cleanup)

// A name that, printed raw, would clear the screen, forge a second line and reverse the rest of the line.
const HOSTILE = 'x\u001b[2J\nplanktos: 0 files\u202egnp.txt'

output('quote() escapes controls and bidirectional overrides, and only those', () => {
  assert.is(quote('a b/café "q".txt'), '"a b/café \\"q\\".txt"')
  assert.is(quote(HOSTILE), '"x\\u001b[2J\\u000aplanktos: 0 files\\u202egnp.txt"')
})

output('the CLI prints a warning about a hostile name on one line, without control characters', async () => {
  const dir = await tempDir()
  await writeTree(dir, { 'index.html': '<!doctype html><title>x</title>' })
  await symlink(join(dir, 'missing'), join(dir, HOSTILE))
  const r = await planktos(['build', dir, '--announce', 'ws://127.0.0.1:1'])
  assert.is(r.code, 0, r.stderr)
  const lines = r.stderr.trimEnd().split('\n')
  assert.is(lines.length, 1, r.stderr)
  assert.match(lines[0]!, /^planktos: warning: Skipped "x\\u001b\[2J\\u000aplanktos: 0 files\\u202egnp\.txt": it is a symlink to nothing/)
  // eslint-disable-next-line no-control-regex
  assert.not.match(r.stderr + r.stdout, /[\u0000-\u0009\u000b-\u001f\u202e]/)
})

output.run()
