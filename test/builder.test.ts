// The builder: manifest and torrents checked against independent computations, determinism, shard stability.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createHash } from 'node:crypto'
import { readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import bencode from 'bencode'
import createTorrent from 'create-torrent'
import { build } from '../integrations/builder/index.ts'
import { cleanup, seededBytes, snapshot, tempDir, writeTree } from './helpers/fs.ts'
import { readManifest } from './helpers/packed.ts'

const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex')


const SITE = {
  'index.html': '<!doctype html><html><head><title>Home</title><link rel="stylesheet" href="/style.css"></head><body><img src="img/a b.png"><a href="about/">About</a></body></html>',
  'about/index.html': '<!doctype html><html><head><title>About</title><link rel="stylesheet" href="../style.css"></head><body><p>About</p><script src="/app.js"></script></body></html>',
  'style.css': 'body{background:url(img/bg.png)}@font-face{src:url("/fonts/f.woff2") format("woff2")}',
  'app.js': 'console.log("hi")',
  'img/a b.png': seededBytes('png', 40_000),
  'img/bg.png': seededBytes('bg', 3_000),
  'fonts/f.woff2': seededBytes('font', 20_000),
  'empty.txt': '',
  '404.html': '<!doctype html><title>Not found</title><p>Nope'
}

const manifestSuite = suite('manifest')
manifestSuite.after(cleanup)

manifestSuite('lists every file with its size, SHA-256 and offset, as computed independently from the bytes on disk', async () => {
  const dir = await tempDir()
  await writeTree(dir, SITE)
  const result = await build(dir, { announce: ['ws://127.0.0.1:1'] })
  const { manifest, files } = await readManifest(dir)
  assert.is(result.manifest!.buildId, manifest.buildId)
  assert.equal([...files.keys()].sort(), Object.keys(SITE).sort())
  for (const [path, entry] of files) {
    const bytes = await readFile(join(dir, path))
    assert.is(entry.size, bytes.length, path)
    assert.is(entry.sha256, sha256(bytes), path)
  }
  assert.is(files.get('index.html')!.type, 'text/html; charset=utf-8')
  assert.is(files.get('img/a b.png')!.type, 'image/png')
  assert.is(manifest.notFound, '404.html')
  assert.is(manifest.base, '/')
})

manifestSuite('leaves out the host configuration files at the root (_headers, _redirects, _routes.json), and types .ico as nginx does', async () => {
  const dir = await tempDir()
  await writeTree(dir, {
    ...SITE,
    _headers: '/*\n  X-Frame-Options: DENY\n',
    _redirects: '/old /new 301\n',
    '_routes.json': '{"version":1,"include":["/*"],"exclude":[]}',
    'docs/_headers': 'an ordinary file below the root',
    'favicon.ico': seededBytes('ico', 1_000)
  })
  await build(dir, { announce: ['ws://127.0.0.1:1'] })
  const { files } = await readManifest(dir)
  assert.equal([...files.keys()].sort(), [...Object.keys(SITE), 'docs/_headers', 'favicon.ico'].sort())
  assert.is(files.get('favicon.ico')!.type, 'image/x-icon')
})

manifestSuite('lists each page\'s subresources, including fonts and images its stylesheet references', async () => {
  const dir = await tempDir()
  await writeTree(dir, SITE)
  await build(dir, { announce: ['ws://127.0.0.1:1'] })
  const { files } = await readManifest(dir)
  assert.equal(new Set(files.get('index.html')!.deps), new Set(['style.css', 'img/a b.png', 'img/bg.png', 'fonts/f.woff2']))
  assert.equal(new Set(files.get('about/index.html')!.deps), new Set(['style.css', 'app.js', 'img/bg.png', 'fonts/f.woff2']))
  assert.is(files.get('style.css')!.deps, undefined)
})

manifestSuite('makes torrents whose pieces hash the files laid end to end, and whose infohash is the manifest\'s', async () => {
  const dir = await tempDir()
  await writeTree(dir, SITE)
  await build(dir, { announce: ['ws://127.0.0.1:1'] })
  const { manifest, parts } = await readManifest(dir)
  for (const [i, shard] of manifest.shards.entries()) {
    const raw = await readFile(join(dir, shard.torrent))
    const torrent = bencode.decode(raw)
    assert.is(createHash('sha1').update(bencode.encode(torrent.info)).digest('hex'), shard.infoHash)
    const part = parts[i]!
    const all = Buffer.concat(await Promise.all(part.files.map(f => readFile(join(dir, f.path)))))
    const pieces: Buffer[] = []
    for (let o = 0; o < all.length; o += part.pieceLength) pieces.push(createHash('sha1').update(all.subarray(o, o + part.pieceLength)).digest())
    assert.ok(Buffer.from(torrent.info.pieces).equals(Buffer.concat(pieces)), 'piece hashes')
    assert.equal(torrent.info.files.map((f: { path: Uint8Array[] }) => f.path.map(s => Buffer.from(s).toString()).join('/')), part.files.map(f => f.path))
    assert.is(torrent.info['piece length'], part.pieceLength)
    assert.is(Buffer.from(torrent.announce).toString(), 'ws://127.0.0.1:1')
  }
})

manifestSuite('gives a shard of one large file about 128 pieces, and a shard of small files 16 KiB pieces', async () => {
  const dir = await tempDir()
  await writeTree(dir, { 'index.html': '<!doctype html><title>x</title>', 'a.css': 'a{}', 'files/big.bin': Buffer.alloc(16 * 1024 * 1024, 7) })
  await build(dir, { announce: ['ws://127.0.0.1:1'] })
  const { parts } = await readManifest(dir)
  const big = parts.find(p => p.files.some(f => f.path === 'files/big.bin'))!
  assert.is(big.files.length, 1, 'a file of half the shard size or more is a shard of its own')
  assert.is(big.pieceLength, 128 * 1024)
  const small = parts.filter(p => p !== big)
  assert.ok(small.length > 0 && small.every(p => p.pieceLength === 16 * 1024), 'the small files keep 16 KiB pieces')
})

manifestSuite('gives the same infohash as create-torrent for the same files, name and piece length', async () => {
  const dir = await tempDir()
  // Without the empty file: create-torrent 6.1.3 hashes the last piece wrongly when a 0-byte file is in the list
  // (our pieces are checked against a direct computation in the test above, empty file included).
  const { 'empty.txt': _, ...site } = SITE
  await writeTree(dir, site)
  await build(dir, { announce: ['ws://127.0.0.1:1'] })
  const { manifest, parts } = await readManifest(dir)
  const part = parts[0]!
  const inputs = await Promise.all(part.files.map(async f => Object.assign(await readFile(join(dir, f.path)), { name: f.path })))
  const theirs: Buffer = await new Promise((resolve, reject) => createTorrent(inputs, {
    name: 'site', pieceLength: part.pieceLength, announceList: [], filterJunkFiles: false
  }, (err: Error | null, t: Buffer) => err ? reject(err) : resolve(t)))
  const info = bencode.decode(theirs).info
  assert.is(createHash('sha1').update(bencode.encode(info)).digest('hex'), manifest.shards[0]!.infoHash)
})

manifestSuite('puts the web-seed URL in torrents when the public origin is known', async () => {
  const dir = await tempDir()
  await writeTree(dir, SITE)
  await build(dir, { base: '/docs', site: 'https://example.com/whatever', announce: ['ws://127.0.0.1:1'] })
  const { manifest } = await readManifest(dir)
  const torrent = bencode.decode(await readFile(join(dir, manifest.shards[0]!.torrent)))
  assert.is(Buffer.from(torrent.info.name).toString(), 'docs')
  assert.equal(torrent['url-list'].map((u: Uint8Array) => Buffer.from(u).toString()), ['https://example.com/'])
  assert.is(manifest.base, '/docs/')
  assert.is(manifest.site, 'https://example.com')
  assert.match(await readFile(join(dir, 'index.html'), 'utf8'), '<script src="/docs/planktos/install.js"')
})

manifestSuite('keeps file names with spaces, unicode (NFC and NFD), %, #, ?, + and empty files exactly as on disk', async () => {
  const dir = await tempDir()
  const names = ['a b.txt', 'caf\u00e9.txt', 'cafe\u0301.txt', '100%.txt', 'c#.txt', 'what?.txt', 'a+b.txt', 'zero.txt', 'dir with space/x.txt']
  await writeTree(dir, Object.fromEntries(names.map(n => [n, n === 'zero.txt' ? '' : `contents of ${n}`])))
  await build(dir, { announce: ['ws://127.0.0.1:1'] })
  const { files } = await readManifest(dir)
  assert.equal([...files.keys()].sort(), [...names].sort())
  assert.is(files.get('zero.txt')!.size, 0)
  assert.is(files.get('zero.txt')!.sha256, sha256(''))
  assert.is.not(files.get('caf\u00e9.txt')!.sha256, files.get('cafe\u0301.txt')!.sha256)
})

manifestSuite('builds an empty site into a manifest with no shards', async () => {
  const dir = await tempDir()
  const result = await build(dir, { announce: ['ws://127.0.0.1:1'] })
  const { manifest } = await readManifest(dir)
  assert.is(manifest.shards.length, 0)
  assert.is(result.stats.files, 0)
})

manifestSuite('ignores Pagefind\'s cache-busting ts parameter when the site has a Pagefind index, and only then', async () => {
  const dir = await tempDir()
  await writeTree(dir, { 'index.html': '<html></html>', 'pagefind/pagefind-entry.json': '{}' })
  await build(dir, { announce: ['ws://127.0.0.1:1'] })
  assert.equal((await readManifest(dir)).manifest.settings.ignoreSearchParams, ['utm_*', 'fbclid', 'gclid', 'ts'])
  const plain = await tempDir()
  await writeTree(plain, { 'index.html': '<html></html>' })
  await build(plain, { announce: ['ws://127.0.0.1:1'] })
  assert.equal((await readManifest(plain)).manifest.settings.ignoreSearchParams, ['utm_*', 'fbclid', 'gclid'])
})

manifestSuite.run()

const determinism = suite('determinism')
determinism.after(cleanup)

determinism('gives byte-identical output for identical input, in another folder and when rebuilt in place', async () => {
  const a = await tempDir()
  const b = await tempDir()
  await writeTree(a, SITE)
  await writeTree(b, SITE)
  await build(a, { announce: ['ws://127.0.0.1:1'] })
  await build(b, { announce: ['ws://127.0.0.1:1'] })
  const snapA = await snapshot(a)
  assert.equal(snapA, await snapshot(b))
  // A second build over its own output sees tagged pages and its own files, and must change nothing.
  await build(a, { announce: ['ws://127.0.0.1:1'] })
  assert.equal(await snapshot(a), snapA)
})

determinism('changes the build id when any file changes, and not otherwise', async () => {
  const dir = await tempDir()
  await writeTree(dir, SITE)
  const first = await build(dir, { announce: ['ws://127.0.0.1:1'] })
  const again = await build(dir, { announce: ['ws://127.0.0.1:1'] })
  assert.is(again.manifest!.buildId, first.manifest!.buildId)
  await writeFile(join(dir, 'app.js'), 'console.log("changed")')
  const changed = await build(dir, { announce: ['ws://127.0.0.1:1'] })
  assert.is.not(changed.manifest!.buildId, first.manifest!.buildId)
  const worker = await readFile(join(dir, 'planktos-sw.js'), 'utf8')
  assert.ok(worker.includes(changed.manifest!.buildId), 'the worker carries the build id')
  assert.not.ok((await readFile(join(dir, 'index.html'), 'utf8')).includes(changed.manifest!.buildId), 'pages do not')
})

determinism("the worker names the SHA-256 of the install script and downloader it is deployed with", async () => {
  const dir = await tempDir()
  await writeTree(dir, SITE)
  await build(dir, { announce: ['ws://127.0.0.1:1'] })
  const worker = await readFile(join(dir, 'planktos-sw.js'), 'utf8')
  const digest = async (path: string): Promise<string> => createHash('sha256').update(await readFile(join(dir, path))).digest('hex')
  for (const path of ['planktos/install.js', 'planktos/downloader.js']) {
    assert.ok(worker.includes(`"${path}":"${await digest(path)}"`), `the worker names ${path}'s digest`)
  }
})

determinism.run()

// A site of 4 MiB files at the default 16 MiB shard size gives several shards.
async function bigSite (dir: string, count = 700): Promise<void> {
  const files: Record<string, Uint8Array> = {}
  for (let i = 0; i < count; i++) files[`assets/f${String(i).padStart(4, '0')}.bin`] = seededBytes(`f${i}`, 48 * 1024 + (i % 7) * 1000)
  await writeTree(dir, files)
}

const infoHashes = async (dir: string): Promise<Map<string, string[]>> => {
  const { manifest, parts } = await readManifest(dir)
  return new Map(manifest.shards.map((s, i) => [s.infoHash, parts[i]!.files.map(f => f.path)]))
}

const stability = suite('shard stability')
stability.after(cleanup)

stability('puts a site smaller than the shard size into one torrent', async () => {
  const dir = await tempDir()
  await writeTree(dir, SITE)
  await build(dir, { announce: ['ws://127.0.0.1:1'] })
  assert.is((await infoHashes(dir)).size, 1)
})

stability('names each shard\'s largest file size in the root manifest, as measured on disk (the worker needs no part to know a shard holds no large file)', async () => {
  const dir = await tempDir()
  await bigSite(dir)
  await writeFile(join(dir, 'assets/f0100.bin'), seededBytes('larger', 300_000))
  await build(dir, { announce: ['ws://127.0.0.1:1'] })
  const { manifest, parts } = await readManifest(dir)
  assert.ok(manifest.shards.length >= 3, `several shards (${manifest.shards.length})`)
  for (const [i, shard] of manifest.shards.entries()) {
    const sizes = await Promise.all(parts[i]!.files.map(async f => (await stat(join(dir, f.path))).size))
    assert.is(shard.largest, Math.max(...sizes), shard.first)
  }
})

stability('changes only the shard holding a file whose size changed', async () => {
  const dir = await tempDir()
  await bigSite(dir)
  await build(dir, { announce: ['ws://127.0.0.1:1'] })
  const before = await infoHashes(dir)
  assert.ok(before.size >= 3, `several shards (${before.size})`)
  const target = 'assets/f0350.bin'
  await writeFile(join(dir, target), seededBytes('edited', 70_000))
  await build(dir, { announce: ['ws://127.0.0.1:1'] })
  const after = await infoHashes(dir)
  const gone = [...before.keys()].filter(h => !after.has(h))
  assert.is(gone.length, 1)
  assert.ok(before.get(gone[0]!)!.includes(target))
  assert.is(after.size, before.size)
})

stability('on an addition, changes the shard it joins and at most one neighbour', async () => {
  const dir = await tempDir()
  await bigSite(dir)
  await build(dir, { announce: ['ws://127.0.0.1:1'] })
  const before = await infoHashes(dir)
  await writeFile(join(dir, 'assets/f0350a.bin'), seededBytes('new', 50_000))
  await build(dir, { announce: ['ws://127.0.0.1:1'] })
  const after = await infoHashes(dir)
  const gone = [...before.keys()].filter(h => !after.has(h))
  assert.ok(gone.length >= 1 && gone.length <= 2, `changed shards: ${gone.length}`)
})

stability('on a deletion, changes only the shard that held the file (unless it was the shard\'s first file)', async () => {
  const dir = await tempDir()
  await bigSite(dir)
  await build(dir, { announce: ['ws://127.0.0.1:1'] })
  const before = await infoHashes(dir)
  const firsts = new Set([...before.values()].map(files => files[0]))
  const victim = [...before.values()].flat().find((p, i) => i > 300 && !firsts.has(p))!
  await rm(join(dir, victim))
  await build(dir, { announce: ['ws://127.0.0.1:1'] })
  const after = await infoHashes(dir)
  const gone = [...before.keys()].filter(h => !after.has(h))
  assert.is(gone.length, 1)
  assert.ok(before.get(gone[0]!)!.includes(victim))
})

stability('merges a shard into the previous one when its first file is deleted, leaving the others alone', async () => {
  const dir = await tempDir()
  await bigSite(dir)
  await build(dir, { announce: ['ws://127.0.0.1:1'] })
  const before = await infoHashes(dir)
  const lists = [...before.values()]
  const victim = lists[2]![0]!
  await rm(join(dir, victim))
  await build(dir, { announce: ['ws://127.0.0.1:1'] })
  const after = await infoHashes(dir)
  const gone = [...before.keys()].filter(h => !after.has(h))
  assert.ok(gone.length <= 2, `changed shards: ${gone.length}`)
  assert.is(after.size, before.size - 1)
})

stability('gives a file of half the shard size or more a shard of its own', async () => {
  const dir = await tempDir()
  await bigSite(dir, 400)
  await writeFile(join(dir, 'video.mp4'), seededBytes('video', 9 * 1024 * 1024))
  await build(dir, { announce: ['ws://127.0.0.1:1'] })
  const lists = [...(await infoHashes(dir)).values()]
  assert.ok(lists.some(files => files.length === 1 && files[0] === 'video.mp4'))
})

stability.run()

const copies = suite('web seed without copies')
copies.after(cleanup)

copies('adds only planktos files and tagged pages to the folder: no second copy of any file', async () => {
  const dir = await tempDir()
  await writeTree(dir, SITE)
  const before = await snapshot(dir)
  await build(dir, { announce: ['ws://127.0.0.1:1'] })
  const after = await snapshot(dir)
  const added = Object.keys(after).filter(p => !(p in before))
  assert.ok(added.every(p => p.startsWith('planktos/') || p === 'planktos-sw.js'), added.join(', '))
  const changed = Object.keys(before).filter(p => after[p] !== before[p])
  assert.equal(changed.sort(), ['404.html', 'about/index.html', 'index.html'])
  const dupes = Object.entries(after).filter(([p, h]) => p.startsWith('planktos/') && h !== 'dir' && Object.values(before).includes(h))
  assert.is(dupes.length, 0)
})

copies.run()

