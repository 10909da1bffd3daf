// The page rebuilds each shard's torrent from its part and its piece hashes (runtime/page/torrent-file.ts) instead of
// fetching the .torrent file: the rebuilt info dictionary must be the builder's byte for byte, or the infohash differs
// and the page never joins the swarm. Checked on real builds: several shards, a large file alone, names beyond ASCII,
// a base.
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import bencode from 'bencode'
import { build } from '../integrations/builder/index.ts'
import { piecesFile, type ShardPart } from '../runtime/shared/manifest.ts'
import { torrentFile } from '../runtime/page/torrent-file.ts'
import { cleanup, tempDir, writeTree } from './helpers/fs.ts'

const test = suite('a part rebuilds its shard\'s torrent')
test.after(cleanup)

const sha1 = (bytes: Uint8Array): string => createHash('sha1').update(bytes).digest('hex')

async function site (base?: string): Promise<string> {
  const dir = await tempDir()
  const tree: Record<string, string | Uint8Array> = {
    'index.html': '<!doctype html><title>x</title><img src="café/ü.png">',
    'café/ü.png': 'not really a png',
    '日本語/ページ.html': '<!doctype html><title>ja</title>',
    'a b/%2e%2e.txt': 'odd but allowed',
    'big.bin': new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 7) & 255),
    'empty.txt': ''
  }
  for (let i = 0; i < 300; i++) tree[`posts/${String(i).padStart(3, '0')}/index.html`] = `<!doctype html><p>${'post '.repeat(i * 20)}</p>`
  await writeTree(dir, tree)
  // A small shard size, so the site makes many shards and big.bin is one of its own.
  await build(dir, { announce: ['ws://127.0.0.1:1'], shardSize: 256 * 1024, ...(base ? { base } : {}) })
  return dir
}

for (const base of [undefined, '/docs/']) {
  test(`its info dictionary is the .torrent's, and hashes to the manifest's infohash (base ${base ?? '/'})`, async () => {
    const dir = await site(base)
    const manifest = JSON.parse(await readFile(join(dir, 'planktos/manifest.json'), 'utf8')) as { shards: Array<{ infoHash: string, part: string, torrent: string, files: number }> }
    assert.ok(manifest.shards.length > 3, `${manifest.shards.length} shards`)
    assert.ok(manifest.shards.some(s => s.files === 1), 'a file alone in its shard')
    for (const shard of manifest.shards) {
      const part = JSON.parse(await readFile(join(dir, shard.part), 'utf8')) as ShardPart
      const rebuilt = await torrentFile(part, await readFile(join(dir, piecesFile(shard.infoHash))))
      const decoded = bencode.decode(rebuilt) as { info: unknown }
      const info = bencode.encode(decoded.info)
      assert.is(sha1(info), shard.infoHash, shard.part)
      // Nothing but the info dictionary, and no byte bencode would write differently.
      assert.equal(rebuilt, new Uint8Array(bencode.encode({ info: decoded.info })))
      const original = bencode.decode(await readFile(join(dir, shard.torrent))) as { info: unknown }
      assert.equal(new Uint8Array(bencode.encode(original.info)), new Uint8Array(info))
    }
  })
}

test('altered piece hashes, or a part with another size, give another infohash', async () => {
  const dir = await site()
  const manifest = JSON.parse(await readFile(join(dir, 'planktos/manifest.json'), 'utf8')) as { shards: Array<{ infoHash: string, part: string }> }
  const shard = manifest.shards[0]!
  const part = JSON.parse(await readFile(join(dir, shard.part), 'utf8')) as ShardPart
  const pieces = await readFile(join(dir, piecesFile(shard.infoHash)))
  const infoHash = async (p: ShardPart, h: Uint8Array): Promise<string> => sha1(bencode.encode((bencode.decode(await torrentFile(p, h)) as { info: unknown }).info))
  assert.is(await infoHash(part, pieces), shard.infoHash)
  const altered = Buffer.from(pieces)
  altered[0]! ^= 1
  assert.is.not(await infoHash(part, altered), shard.infoHash)
  assert.is.not(await infoHash({ ...part, files: part.files.map((f, i) => i === 0 ? { ...f, size: f.size + 1 } : f) }, pieces), shard.infoHash)
})

test.run()
