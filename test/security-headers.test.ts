// The security headers a build knows (the host's _headers file, the headers option) end up in the shard parts, so
// the worker can put them on answers from the store and from peers. The browser side is security-csp.test.ts.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { build } from '../integrations/builder/index.ts'
import { headersFor, parseHeadersFile } from '../integrations/builder/host-headers.ts'
import { normalizeOptions } from '../integrations/options.ts'
import type { ShardPart } from '../runtime/shared/manifest.ts'
import { cleanup, tempDir, writeTree } from './helpers/fs.ts'

const OPTS = { announce: ['ws://127.0.0.1:1'] }

const file = suite('the _headers file')

file('reads rules as Netlify and Cloudflare Pages do: a path, indented headers, comments, ! to detach', () => {
  const { rules, warnings } = parseHeadersFile('# site-wide\n/*\n  Content-Security-Policy: default-src \'self\'\n  X-Frame-Options: DENY\n\n/embed/*\n  ! X-Frame-Options\n  Cache-Control: no-store\nstray: line\n')
  const of = headersFor(rules, false)
  assert.equal(of('index.html'), { 'content-security-policy': "default-src 'self'", 'x-frame-options': 'DENY' })
  assert.equal(of('embed/player.html'), { 'content-security-policy': "default-src 'self'" }, 'detached, and Cache-Control is not a security header')
  assert.is(warnings.length, 0, warnings.join('|'))
})

file('matches a folder page at its folder URL, a :placeholder as one segment, and nothing for another host', () => {
  const { rules } = parseHeadersFile('/blog/\n  Referrer-Policy: no-referrer\n/docs/:page/x.html\n  X-Frame-Options: SAMEORIGIN\nhttps://other.example/*\n  X-Frame-Options: DENY\n')
  const of = headersFor(rules, false)
  assert.equal(of('blog/index.html'), { 'referrer-policy': 'no-referrer' })
  assert.equal(of('docs/a/x.html'), { 'x-frame-options': 'SAMEORIGIN' })
  assert.is(of('docs/a/b/x.html'), undefined)
  assert.is(of('other.html'), undefined)
})

file('a header two rules set is sent with both values, as the hosts do', () => {
  const { rules } = parseHeadersFile("/*\n  Content-Security-Policy: default-src 'self'\n/a.html\n  Content-Security-Policy: frame-ancestors 'none'\n")
  assert.equal(headersFor(rules, false)('a.html'), { 'content-security-policy': "default-src 'self', frame-ancestors 'none'" })
})

file('a line that is not a header is reported', () => {
  const { warnings } = parseHeadersFile('  X-Frame-Options: DENY\n/*\n  not a header\n')
  assert.is(warnings.length, 2)
  assert.match(warnings[1]!, 'line 3')
})

file.run()

const option = suite('the headers option')

option('is checked: patterns are URL paths, values one-line strings', () => {
  assert.throws(() => normalizeOptions({ headers: { '*': { 'X-Frame-Options': 'DENY' } } }), /option "headers"/)
  assert.throws(() => normalizeOptions({ headers: { '/*': { 'X-Frame-Options': 'DENY\r\nSet-Cookie: a=b' } } }), /option "headers"/)
  assert.throws(() => normalizeOptions({ headers: ['/*'] } as never), /option "headers"/)
  assert.equal(normalizeOptions({ headers: { '/*': { 'X-Frame-Options': 'DENY' } } }).headers, { '/*': { 'X-Frame-Options': 'DENY' } })
})

option.run()

const built = suite('the build writes the headers into the shard parts')
built.after(cleanup)

async function parts (dir: string): Promise<ShardPart[]> {
  const manifest = JSON.parse(await readFile(join(dir, 'planktos/manifest.json'), 'utf8'))
  return Promise.all(manifest.shards.map(async (s: { part: string }) => JSON.parse(await readFile(join(dir, s.part), 'utf8'))))
}

built('each distinct set once per part, each file by index; the option replaces what _headers sets', async () => {
  const dir = await tempDir()
  await writeTree(dir, {
    'index.html': '<!doctype html><title>x</title>',
    'a.txt': 'a',
    'embed/index.html': '<!doctype html><title>e</title>',
    _headers: "/*\n  Content-Security-Policy: default-src 'self'\n  X-Frame-Options: DENY\n"
  })
  await build(dir, { ...OPTS, headers: { '/embed/*': { 'X-Frame-Options': 'SAMEORIGIN' } } })
  const [part] = await parts(dir)
  const of = (path: string): Record<string, string> | undefined => {
    const entry = part!.files.find(f => f.path === path)!
    return entry.headers === undefined ? undefined : part!.headers![entry.headers]
  }
  assert.equal(of('index.html'), { 'content-security-policy': "default-src 'self'", 'x-frame-options': 'DENY' })
  assert.equal(of('a.txt'), of('index.html'))
  assert.equal(of('embed/index.html'), { 'content-security-policy': "default-src 'self'", 'x-frame-options': 'SAMEORIGIN' })
  assert.is(part!.headers!.length, 2)
})

built('a site without security headers gets parts without them (so its build id is what it was)', async () => {
  const dir = await tempDir()
  await writeTree(dir, { 'index.html': '<!doctype html><title>x</title>', _headers: '/*\n  Cache-Control: no-store\n' })
  await build(dir, OPTS)
  const [part] = await parts(dir)
  assert.not.ok('headers' in part!)
  assert.ok(part!.files.every(f => !('headers' in f)))
})

built.run()
