// `planktos serve`: ranges, headers, paths and byte counts as a client sees them, over real loopback HTTP.
import { existsSync, readdirSync } from 'node:fs'
import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises'
import { Agent, request, type IncomingHttpHeaders } from 'node:http'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { serve, type RequestLogEntry, type ServeHandle } from '../integrations/cli/serve.ts'
import { seededBytes, tempDir, writeTree } from './helpers/fs.ts'
import { caseHeaders, RANGE_CASES, toneWav } from './helpers/range-cases.ts'

const TEXT = 'abcdefghijklmnopqrstuvwxyz0123' // 30 bytes, each byte at a known place
const BIG = seededBytes('serve big', 3 * 1024 * 1024 + 17) // several socket writes
const TONE = toneWav()

const SITE: Record<string, string | Uint8Array> = {
  'index.html': '<h1>home</h1>',
  'about/index.html': '<h1>about</h1>',
  'blog.html': '<h1>blog</h1>',
  'nested/deep/index.html': '<h1>deep</h1>',
  '404.html': '<h1>no such page</h1>',
  'a.txt': TEXT,
  'empty.txt': '',
  'big.bin': BIG,
  'tone.wav': TONE,
  'app.js': 'console.log(1)',
  'mod.mjs': 'export {}',
  'lib.wasm': Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]),
  'site.webmanifest': '{}',
  'planktos/0123.torrent': 'd4:infod6:lengthi1eee',
  'planktos/manifest.json': '{}',
  'style.css': 'body{}',
  'planktos-sw.js': 'self.skipWaiting()',
  '.env': 'SECRET=1',
  '.git/config': '[core]',
  '.well-known/security.txt': 'Contact: mailto:a@example.com'
}

interface Response { status: number, headers: IncomingHttpHeaders, body: Buffer }

/** One request with the path sent exactly as written (no URL normalisation), on its own connection. */
function get (server: ServeHandle, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method, headers, agent: false, timeout: 5000 }, res => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} got no answer within 5s`)))
    req.on('error', reject)
    req.end()
  })
}

interface Context { dir: string, server: ServeHandle, log: RequestLogEntry[] }

function siteSuite (name: string, base = '/') {
  const s = suite<Context>(name, {} as Context)
  s.before(async context => {
    context.dir = await tempDir('planktos-serve-')
    await writeTree(context.dir, SITE)
    context.log = []
    context.server = await serve({ dir: context.dir, base, onRequest: entry => context.log.push(entry) })
  })
  s.after(async context => {
    await context.server.close()
    await rm(context.dir, { recursive: true, force: true })
  })
  return s
}

// ---

const ranges = siteSuite('serve: byte ranges')

ranges('answers bytes=0-9 with 206, the first ten bytes and their Content-Range', async ({ server }) => {
  const res = await get(server, '/a.txt', { range: 'bytes=0-9' })
  assert.is(res.status, 206)
  assert.is(res.headers['content-range'], 'bytes 0-9/30')
  assert.is(res.headers['content-length'], '10')
  assert.is(res.body.toString(), 'abcdefghij')
})

ranges('answers a range in the middle of the file', async ({ server }) => {
  const res = await get(server, '/a.txt', { range: 'bytes=10-14' })
  assert.is(res.status, 206)
  assert.is(res.headers['content-range'], 'bytes 10-14/30')
  assert.is(res.body.toString(), 'klmno')
})

ranges('answers an open-ended range with the rest of the file', async ({ server }) => {
  const res = await get(server, '/a.txt', { range: 'bytes=25-' })
  assert.is(res.status, 206)
  assert.is(res.headers['content-range'], 'bytes 25-29/30')
  assert.is(res.body.toString(), 'z0123')
})

ranges('answers a suffix range with the last bytes of the file', async ({ server }) => {
  const res = await get(server, '/a.txt', { range: 'bytes=-5' })
  assert.is(res.status, 206)
  assert.is(res.headers['content-range'], 'bytes 25-29/30')
  assert.is(res.body.toString(), 'z0123')
})

ranges('answers bytes=0-0 with exactly one byte', async ({ server }) => {
  const res = await get(server, '/a.txt', { range: 'bytes=0-0' })
  assert.is(res.status, 206)
  assert.is(res.headers['content-range'], 'bytes 0-0/30')
  assert.is(res.body.toString(), 'a')
})

ranges('clips a range that ends past the end of the file', async ({ server }) => {
  const res = await get(server, '/a.txt', { range: 'bytes=28-1000' })
  assert.is(res.status, 206)
  assert.is(res.headers['content-range'], 'bytes 28-29/30')
  assert.is(res.body.toString(), '23')
})

ranges('refuses a range that starts past the end with 416 and bytes */size', async ({ server }) => {
  const res = await get(server, '/a.txt', { range: 'bytes=30-' })
  assert.is(res.status, 416)
  assert.is(res.headers['content-range'], 'bytes */30')
  assert.is(res.body.length, 0)
})

ranges('sends the whole file for a malformed range or another unit', async ({ server }) => {
  for (const range of ['bytes=abc', 'bytes=-', 'items=0-5', 'bytes 0-5']) {
    const res = await get(server, '/a.txt', { range })
    assert.is(res.status, 200, range)
    assert.is(res.body.toString(), TEXT, range)
  }
})

ranges('sends the whole file for several ranges', async ({ server }) => {
  const res = await get(server, '/a.txt', { range: 'bytes=0-1,5-6' })
  assert.is(res.status, 200)
  assert.is(res.body.toString(), TEXT)
})

ranges('sends the whole file for a range that ends before it starts, and keeps running', async ({ server }) => {
  const res = await get(server, '/a.txt', { range: 'bytes=5-2' })
  assert.is(res.status, 200)
  assert.is(res.body.toString(), TEXT)
  assert.is((await get(server, '/a.txt')).status, 200)
})

ranges('ignores Range on HEAD and on an If-Range that no longer matches', async ({ server }) => {
  const head = await get(server, '/a.txt', { range: 'bytes=0-1' }, 'HEAD')
  assert.is(head.status, 200)
  assert.is(head.headers['content-length'], '30')
  const stale = await get(server, '/a.txt', { range: 'bytes=0-1', 'if-range': 'Tue, 01 Jan 2019 00:00:00 GMT' })
  assert.is(stale.status, 200)
  assert.is(stale.body.toString(), TEXT)
  const fresh = await get(server, '/a.txt', { range: 'bytes=0-1', 'if-range': String(head.headers['last-modified']) })
  assert.is(fresh.status, 206)
  assert.is(fresh.body.toString(), 'ab')
})

ranges('honours an If-Range holding its strong ETag, as Chromium sends when it completes a partly cached file', async ({ server }) => {
  const whole = await get(server, '/a.txt')
  const res = await get(server, '/a.txt', { range: 'bytes=0-1', 'if-range': String(whole.headers.etag) })
  assert.is(res.status, 206)
  assert.is(res.body.toString(), 'ab')
})

ranges('ignores Range when If-Range holds a weak ETag, another ETag or a date other than Last-Modified', async ({ server }) => {
  const whole = await get(server, '/a.txt')
  const later = new Date(Date.parse(String(whole.headers['last-modified'])) + 60_000).toUTCString()
  for (const ifRange of [`W/${String(whole.headers.etag)}`, '"0-0"', later]) {
    const res = await get(server, '/a.txt', { range: 'bytes=0-1', 'if-range': ifRange })
    assert.is(res.status, 200, ifRange)
    assert.is(res.body.toString(), TEXT, ifRange)
  }
})

ranges('serves a range deep inside a large file byte for byte', async ({ server }) => {
  const start = 2 * 1024 * 1024 + 5
  const res = await get(server, '/big.bin', { range: `bytes=${start}-` })
  assert.is(res.status, 206)
  assert.is(res.headers['content-range'], `bytes ${start}-${BIG.length - 1}/${BIG.length}`)
  assert.ok(res.body.equals(BIG.subarray(start)))
})

ranges('announces Accept-Ranges on whole responses', async ({ server }) => {
  const res = await get(server, '/a.txt')
  assert.is(res.status, 200)
  assert.is(res.headers['accept-ranges'], 'bytes')
})

ranges('passes the Range table the worker passes too (If-Range matching = its Last-Modified date)', async ({ server }) => {
  const validator = String((await get(server, '/tone.wav', {}, 'HEAD')).headers['last-modified'])
  for (const c of RANGE_CASES) {
    const res = await get(server, '/tone.wav', caseHeaders(c, validator))
    const what = `${c.name} (${c.range})`
    assert.is(res.status, c.status, what)
    assert.is(res.headers['content-range'], c.contentRange, what)
    assert.ok(res.body.equals(c.body ? TONE.subarray(c.body[0], c.body[1]) : new Uint8Array(0)), what)
  }
})

ranges.run()

// ---

const headers = siteSuite('serve: headers')

headers('sends the MIME types browsers insist on', async ({ server }) => {
  const expected: Record<string, string> = {
    '/app.js': 'text/javascript; charset=utf-8',
    '/mod.mjs': 'text/javascript; charset=utf-8',
    '/planktos-sw.js': 'text/javascript; charset=utf-8',
    '/lib.wasm': 'application/wasm',
    '/site.webmanifest': 'application/manifest+json',
    '/planktos/0123.torrent': 'application/x-bittorrent',
    '/planktos/manifest.json': 'application/json',
    '/style.css': 'text/css; charset=utf-8',
    '/blog.html': 'text/html; charset=utf-8'
  }
  for (const [path, type] of Object.entries(expected)) {
    assert.is((await get(server, path)).headers['content-type'], type, path)
    assert.is((await get(server, path, { range: 'bytes=0-0' })).headers['content-type'], type, `${path} (range)`)
  }
})

headers('makes browsers revalidate every file, the service worker included', async ({ server }) => {
  for (const path of ['/index.html', '/planktos-sw.js', '/planktos/manifest.json']) {
    const res = await get(server, path)
    assert.is(res.headers['cache-control'], 'no-cache', path)
    assert.match(String(res.headers.etag), /^"[0-9a-f]+-[0-9a-f]+"$/, path)
    const part = await get(server, path, { range: 'bytes=0-0' })
    assert.is(part.headers['cache-control'], 'no-cache', `${path} (range)`)
    assert.is(part.headers.etag, res.headers.etag, `${path} (range)`)
  }
})

headers('answers a matching If-None-Match with an empty 304', async ({ server }) => {
  const first = await get(server, '/planktos-sw.js')
  const again = await get(server, '/planktos-sw.js', { 'if-none-match': String(first.headers.etag) })
  assert.is(again.status, 304)
  assert.is(again.body.length, 0)
  const withRange = await get(server, '/planktos-sw.js', { 'if-none-match': String(first.headers.etag), range: 'bytes=0-1' })
  assert.is(withRange.status, 304)
})

headers('never sends Service-Worker-Allowed, as a static host cannot', async ({ server }) => {
  const res = await get(server, '/planktos-sw.js')
  assert.is(res.status, 200)
  assert.is(res.headers['service-worker-allowed'], undefined)
})

headers('answers methods other than GET and HEAD with 405', async ({ server }) => {
  const res = await get(server, '/a.txt', {}, 'POST')
  assert.is(res.status, 405)
  assert.is(res.headers.allow, 'GET, HEAD')
})

headers.run()

// ---

const paths = siteSuite('serve: paths')

paths('serves a folder URL from its index.html', async ({ server }) => {
  const res = await get(server, '/about/')
  assert.is(res.status, 200)
  assert.is(res.body.toString(), '<h1>about</h1>')
  assert.is((await get(server, '/')).body.toString(), '<h1>home</h1>')
})

paths('redirects a folder URL without its slash, keeping the query', async ({ server }) => {
  const res = await get(server, '/nested/deep?x=1')
  assert.is(res.status, 301)
  assert.is(res.headers.location, '/nested/deep/?x=1')
})

paths('serves /blog from blog.html, as GitHub Pages and Netlify do', async ({ server }) => {
  const res = await get(server, '/blog')
  assert.is(res.status, 200)
  assert.is(res.body.toString(), '<h1>blog</h1>')
})

paths('answers an unknown path with the site 404 page and status 404', async ({ server }) => {
  for (const path of ['/nope', '/nope/', '/a.txt/', '/blog/']) {
    const res = await get(server, path)
    assert.is(res.status, 404, path)
    assert.is(res.body.toString(), '<h1>no such page</h1>', path)
    assert.is(res.headers['content-type'], 'text/html; charset=utf-8', path)
  }
})

paths('hides dotfiles and refuses to leave the folder', async ({ server }) => {
  for (const path of ['/.env', '/.git/config', '/%2e%2e/%2e%2e/etc/passwd', '/../a.txt', '/about/%2e%2e/.env', '/a.txt%00']) {
    const res = await get(server, path)
    assert.is(res.status, 404, path)
    assert.is.not(res.body.toString(), 'SECRET=1', path)
  }
  assert.is((await get(server, '/.well-known/security.txt')).status, 200)
})

paths('never serves a file whose real path is outside the folder, however the symlink is written', async ({ server, dir }) => {
  const outside = await tempDir('planktos-serve-outside-')
  await writeTree(outside, { 'secret.txt': 'secret', 'sub/index.html': 'secret page' })
  await symlink('/etc/passwd', join(dir, 'pw.txt'))
  await symlink(join(outside, 'secret.txt'), join(dir, 'abs.txt'))
  await symlink(join('..', outside.split('/').pop()!, 'secret.txt'), join(dir, 'rel.txt'))
  await symlink(outside, join(dir, 'outdir'))
  await symlink(join(outside, 'secret.txt'), join(dir, 'leak.html'))
  await mkdir(join(dir, 'inner'))
  await symlink('../a.txt', join(dir, 'inner/a-link.txt'))
  try {
    for (const path of ['/pw.txt', '/abs.txt', '/rel.txt', '/outdir/secret.txt', '/outdir/sub/', '/leak', '/leak.html']) {
      const res = await get(server, path)
      assert.is(res.status, 404, path)
      assert.not.match(res.body.toString(), /secret|root:/, path)
    }
    // A symlink that stays inside the folder is served as before.
    assert.is((await get(server, '/inner/a-link.txt')).body.toString(), TEXT)
  } finally {
    for (const name of ['pw.txt', 'abs.txt', 'rel.txt', 'outdir', 'leak.html', 'inner']) await rm(join(dir, name), { recursive: true, force: true })
    await rm(outside, { recursive: true, force: true })
  }
})

paths('never serves a 404 page that is a symlink out of the folder', async ({ server, dir }) => {
  await rename(join(dir, '404.html'), join(dir, '404.saved'))
  await symlink('/etc/passwd', join(dir, '404.html'))
  try {
    const res = await get(server, '/no-such-page')
    assert.is(res.status, 404)
    assert.not.match(res.body.toString(), 'root:')
  } finally {
    await rm(join(dir, '404.html'))
    await rename(join(dir, '404.saved'), join(dir, '404.html'))
  }
})

paths('never redirects to another host', async ({ server, dir }) => {
  await writeTree(dir, { 'evil.com/index.html': 'x' })
  for (const path of ['//evil.com', '/%5Cevil.com', '/\\evil.com']) {
    const res = await get(server, path)
    assert.is.not(res.status, 301, path)
    assert.is(res.headers.location, undefined, path)
  }
})

paths('serves files written after it started', async ({ server, dir }) => {
  assert.is((await get(server, '/later.txt')).status, 404)
  await writeFile(join(dir, 'later.txt'), 'new')
  const res = await get(server, '/later.txt')
  assert.is(res.status, 200)
  assert.is(res.body.toString(), 'new')
})

paths('serves an empty file, ignoring a range on it', async ({ server }) => {
  const res = await get(server, '/empty.txt', { range: 'bytes=0-' })
  assert.is(res.status, 200)
  assert.is(res.body.length, 0)
})

paths('serves files named with ?, #, %, +, spaces and unicode at their percent-encoded URLs', async ({ server, dir }) => {
  const names = ['what?.txt', 'tag#1.txt', '100%.txt', 'a+b.txt', 'two words.txt', 'caf\u00e9 nfc.txt', 'cafe\u0301 nfd.txt', '\u65e5\u672c/\u{1F600}.txt']
  await writeTree(dir, Object.fromEntries(names.map(name => [name, `file ${name}`])))
  for (const name of names) {
    const url = '/' + name.split('/').map(encodeURIComponent).join('/')
    const res = await get(server, url)
    assert.is(res.status, 200, url)
    assert.is(res.body.toString(), `file ${name}`, url)
    assert.is((await get(server, url, { range: 'bytes=0-3' })).body.toString(), 'file', `${url} (range)`)
  }
  assert.is((await get(server, '/a%2Bb.txt')).body.toString(), 'file a+b.txt') // `+` is itself in a path, not a space
  assert.is((await get(server, '/what?.txt')).status, 404) // an unencoded `?` starts the query
})

paths('redirects and indexes folders whose names need encoding', async ({ server, dir }) => {
  await writeTree(dir, { 'my docs #1/index.html': 'docs' })
  const res = await get(server, '/my%20docs%20%231')
  assert.is(res.status, 301)
  assert.is(res.headers.location, '/my%20docs%20%231/')
  assert.is((await get(server, '/my%20docs%20%231/')).body.toString(), 'docs')
})

paths.run()

// ---

const based = siteSuite('serve: under a base path', '/docs/')

based('reports its URL with the base', ({ server }) => {
  assert.is(server.url, `http://127.0.0.1:${server.port}/docs/`)
})

based('serves the folder under the base', async ({ server }) => {
  assert.is((await get(server, '/docs/')).body.toString(), '<h1>home</h1>')
  assert.is((await get(server, '/docs/about/')).body.toString(), '<h1>about</h1>')
  const res = await get(server, '/docs/a.txt', { range: 'bytes=-3' })
  assert.is(res.status, 206)
  assert.is(res.body.toString(), '123')
})

based('redirects folders and the bare base to their slashed URL under the base', async ({ server }) => {
  assert.is((await get(server, '/docs/about')).headers.location, '/docs/about/')
  assert.is((await get(server, '/docs')).headers.location, '/docs/')
})

based('answers 404 outside the base, without the site 404 page', async ({ server }) => {
  for (const path of ['/a.txt', '/docs-old/a.txt', '/', '/about/']) {
    const res = await get(server, path)
    assert.is(res.status, 404, path)
    assert.is.not(res.body.toString(), '<h1>no such page</h1>', path)
  }
  assert.is((await get(server, '/docs/nope')).body.toString(), '<h1>no such page</h1>')
})

based.run()

// ---

const log = siteSuite('serve: request log')

/** The log entry for the most recent request to `url`, once the server has finished it. */
async function entryFor (context: Context, url: string): Promise<RequestLogEntry> {
  for (let waited = 0; waited < 2000; waited += 10) {
    const entry = context.log.findLast(e => e.url === url)
    if (entry) return entry
    await new Promise(resolve => setTimeout(resolve, 10))
  }
  throw new Error(`no log entry for ${url} within 2s`)
}

log.before.each(context => { context.log.length = 0 })

log('counts exactly the body bytes the client received', async context => {
  const cases: Array<[string, Record<string, string>]> = [
    ['/a.txt', {}],
    ['/big.bin', {}],
    ['/big.bin', { range: 'bytes=100-1048675' }],
    ['/a.txt?v=2', { range: 'bytes=-7' }],
    ['/nope', {}],
    ['/about/', {}]
  ]
  for (const [path, headers] of cases) {
    context.log.length = 0
    const res = await get(context.server, path, headers)
    const entry = await entryFor(context, path)
    assert.ok(res.body.length > 0, path)
    assert.is(entry.bytes, res.body.length, path)
    assert.is(entry.status, res.status, path)
    assert.is(entry.range, headers.range ?? null, path)
  }
})

log('counts 0 bytes for HEAD, 304, 416 and redirects', async context => {
  const etag = String((await get(context.server, '/a.txt')).headers.etag)
  const cases: Array<[string, Record<string, string>, string, number]> = [
    ['/big.bin', {}, 'HEAD', 200],
    ['/nope', {}, 'HEAD', 404],
    ['/a.txt', { 'if-none-match': etag }, 'GET', 304],
    ['/a.txt', { range: 'bytes=99-' }, 'GET', 416],
    ['/about', {}, 'GET', 301]
  ]
  for (const [path, headers, method, status] of cases) {
    context.log.length = 0
    const res = await get(context.server, path, headers, method)
    const entry = await entryFor(context, path)
    assert.is(res.status, status, `${method} ${path}`)
    assert.is(entry.method, method)
    assert.is(entry.status, status)
    assert.is(entry.bytes, 0, `${method} ${path}`)
  }
})

log('logs the URL as requested, query and base included', async context => {
  await get(context.server, '/about/?a=1&b=2')
  const entry = await entryFor(context, '/about/?a=1&b=2')
  assert.is(entry.status, 200)
})

log.run()

// ---

const startup = suite('serve: starting and stopping')

startup('refuses a missing folder with a sentence that says what to do', async () => {
  const parent = await tempDir('planktos-serve-')
  const dir = join(parent, 'dist')
  try {
    await serve({ dir })
    assert.unreachable('serve() should have failed')
  } catch (err) {
    assert.is((err as Error).message, `planktos serve: folder ${dir} does not exist; build your site first or pass the right folder.`)
  } finally {
    await rm(parent, { recursive: true, force: true })
  }
})

startup('refuses a port that is taken', async () => {
  const blocker = createServer().listen(0, '127.0.0.1')
  await new Promise(resolve => blocker.once('listening', resolve))
  const port = (blocker.address() as { port: number }).port
  const dir = await tempDir('planktos-serve-')
  try {
    await serve({ dir, port })
    assert.unreachable('serve() should have failed')
  } catch (err) {
    assert.match((err as Error).message, `port ${port} on 127.0.0.1 is already in use`)
  } finally {
    blocker.close()
    await rm(dir, { recursive: true, force: true })
  }
})

startup('close() ends a download in progress and stops listening', async () => {
  const dir = await tempDir('planktos-serve-')
  await writeTree(dir, { 'big.bin': seededBytes('close', 32 * 1024 * 1024) })
  const server = await serve({ dir })
  const download = new Promise<string>(resolve => {
    const req = request({ host: '127.0.0.1', port: server.port, path: '/big.bin', agent: false }, res => {
      res.once('data', () => { void server.close() }) // the body has started: 32 MiB cannot have arrived yet
      res.on('error', () => resolve('aborted'))
      res.on('aborted', () => resolve('aborted'))
      res.on('end', () => resolve(res.complete ? 'complete' : 'aborted'))
    })
    req.on('error', () => resolve('aborted'))
    req.end()
  })
  try {
    assert.is(await download, 'aborted')
    const refused = await get(server, '/big.bin').then(() => 'answered', () => 'refused')
    assert.is(refused, 'refused')
  } finally {
    await server.close()
    await rm(dir, { recursive: true, force: true })
  }
})

startup('closes the file of a download the client abandons', async () => {
  if (!existsSync('/proc/self/fd')) return // counting open files needs Linux's /proc
  const dir = await tempDir('planktos-serve-')
  await writeTree(dir, { 'big.bin': seededBytes('abandon', 16 * 1024 * 1024) })
  const server = await serve({ dir })
  const openFiles = (): number => readdirSync('/proc/self/fd').length
  const before = openFiles()
  for (const headers of [{}, { range: 'bytes=1-' }, {}, { range: 'bytes=1-' }]) {
    await new Promise<void>(resolve => {
      const req = request({ host: '127.0.0.1', port: server.port, path: '/big.bin', headers, agent: false }, res => {
        res.once('data', () => req.destroy())
      })
      req.on('close', () => resolve())
      req.on('error', () => {})
      req.end()
    })
  }
  // The server closes a file once its stream ends or is destroyed, a moment after the socket closed: wait for the
  // count to come back, and fail with it if it does not within the limit.
  for (const limit = Date.now() + 10_000; openFiles() !== before && Date.now() < limit;) await new Promise(resolve => setTimeout(resolve, 20))
  try {
    assert.is(openFiles(), before)
  } finally {
    await server.close()
    await rm(dir, { recursive: true, force: true })
  }
})

startup('keeps running, and never sends a malformed response, while files are deleted or replaced under it', async () => {
  const dir = await tempDir('planktos-serve-')
  await writeTree(dir, { '404.html': 'gone' })
  const server = await serve({ dir })
  const file = join(dir, 'flaky.txt')
  try {
    for (let round = 0; round < 60; round++) {
      // Deleted, emptied or filled by an atomic rename, as a rebuild does, while requests are between lookup and read.
      await writeFile(file + '.next', round % 3 === 1 ? '' : TEXT)
      const answers = Array.from({ length: 4 }, (_, i) => get(server, '/flaky.txt', i % 2 ? { range: 'bytes=1-' } : {})
        .catch((err: NodeJS.ErrnoException) => err.code === 'ECONNRESET' ? 'cut' : `${err.code} ${err.message}`))
      await new Promise(resolve => setTimeout(resolve, round % 4))
      await (round % 3 === 0 ? rm(file, { force: true }) : rename(file + '.next', file))
      for (const res of await Promise.all(answers)) {
        // A cut connection is honest: the file changed after its length was sent.
        const ok = res === 'cut' || (typeof res !== 'string' && (
          (res.status === 200 && [TEXT, ''].includes(res.body.toString())) ||
          (res.status === 206 && res.body.toString() === TEXT.slice(1)) ||
          (res.status === 404 && res.body.toString() === 'gone')))
        assert.ok(ok, typeof res === 'string' ? res : `${res.status} ${res.body.toString()}`)
      }
    }
    assert.is((await get(server, '/404.html')).status, 200)
  } finally {
    await server.close()
    await rm(dir, { recursive: true, force: true })
  }
})

startup('cuts a download short, rather than leave the client waiting, when its file shrinks mid-request', async () => {
  const dir = await tempDir('planktos-serve-')
  const size = 32 * 1024 * 1024
  await writeTree(dir, { 'big.bin': Buffer.alloc(size, 1) })
  const server = await serve({ dir })
  const agent = new Agent({ keepAlive: true }) // as browsers do: the server, not the socket's end, must end the response
  let shrunk: Promise<void> | undefined
  try {
    const outcome = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.port, path: '/big.bin', agent, timeout: 2000 }, res => {
        let received = 0
        res.on('data', (chunk: Buffer) => { received += chunk.length })
        res.once('data', () => {
          res.pause() // 32 MiB cannot all be in flight: the server must read the rest after the truncation
          shrunk = writeFile(join(dir, 'big.bin'), 'tiny')
          shrunk.then(() => res.resume(), reject)
        })
        res.on('error', () => resolve(`aborted after ${received < size ? 'part' : 'all'}`))
        res.on('end', () => resolve(res.complete ? 'complete' : `aborted after ${received < size ? 'part' : 'all'}`))
      })
      req.on('timeout', () => req.destroy(new Error('the download hung after its file shrank')))
      req.on('error', reject)
      req.end()
    })
    assert.is(outcome, 'aborted after part')
    await shrunk
    assert.is((await get(server, '/big.bin')).body.toString(), 'tiny')
  } finally {
    agent.destroy()
    await server.close()
    await rm(dir, { recursive: true, force: true })
  }
})

startup.run()
