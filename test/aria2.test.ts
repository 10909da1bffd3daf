// A standard BitTorrent client downloads a shard from the origin as web seed (BEP19), with no second copy on the host.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { build } from '../integrations/builder/index.ts'
import { serve, type ServeHandle } from '../integrations/cli/serve.ts'
import { cleanup, seededBytes, tempDir, writeTree } from './helpers/fs.ts'

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex')

function aria2c (args: string[], timeout = 60_000): Promise<{ code: number | null, output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('aria2c', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', d => { output += d })
    child.stderr.on('data', d => { output += d })
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`aria2c hung:\n${output}`)) }, timeout)
    child.on('close', code => { clearTimeout(timer); resolve({ code, output }) })
  })
}

const interop = suite('aria2c interop')
let server: ServeHandle | undefined
interop.after(async () => {
  await server?.close()
  await cleanup()
})

interop('downloads every shard of a site under /docs/ from the web seed, byte for byte', async () => {
  const site = await tempDir()
  const files: Record<string, string | Uint8Array> = {
    'index.html': '<!doctype html><html><head><title>Docs</title></head><body><img src="img/a b.png"></body></html>',
    'img/a b.png': seededBytes('a', 300_000),
    'caf\u00e9/+plus.txt': 'unicode and plus',
    'big.bin': seededBytes('big', 3 * 1024 * 1024),
    'empty.txt': ''
  }
  await writeTree(site, files)
  const requests: string[] = []
  server = await serve({ dir: site, port: 0, base: '/docs/', onRequest: e => requests.push(e.url) })
  const result = await build(site, { base: '/docs/', site: `http://127.0.0.1:${server.port}`, shardSize: '1MiB', announce: ['ws://127.0.0.1:1'] })
  assert.ok(result.shards.length >= 2, 'the big file has a shard of its own')
  const manifest = result.manifest!
  const out = await tempDir()
  for (const shard of manifest.shards) {
    const torrent = join(site, shard.torrent)
    const r = await aria2c([torrent, `--dir=${out}`, '--seed-time=0', '--enable-dht=false', '--enable-dht6=false',
      '--bt-enable-lpd=false', '--enable-peer-exchange=false', '--bt-exclude-tracker=*', '--check-integrity=true',
      '--allow-overwrite=true', '--auto-file-renaming=false', '--summary-interval=0', '--console-log-level=warn', '--bt-stop-timeout=30'])
    assert.is(r.code, 0, r.output)
  }
  // BEP19 puts a multi-file torrent's files under <url-list><name>/: name "docs" maps them onto /docs/ on the host.
  for (const [path, data] of Object.entries(files)) {
    const got = await readFile(join(out, 'docs', path))
    const expected = await readFile(join(site, path))
    assert.is(sha256(got), sha256(expected), path)
    if (path !== 'index.html') assert.is(sha256(got), sha256(typeof data === 'string' ? Buffer.from(data) : data), path)
  }
  assert.ok(requests.some(u => u.startsWith('/docs/img/a%20b.png')), 'aria2 fetched the file where the host serves it')
})

interop.run()
