// The builder at scale, in a child process so its peak RSS can be read: many small files, and a huge sparse file.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { open, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CLI } from './helpers/cli.ts'
import { cleanup, tempDir } from './helpers/fs.ts'

const HOOK = fileURLToPath(new URL('../bench/rss-hook.ts', import.meta.url))
const MiB = 1024 * 1024
/** The limits the README states. */
const MANY_FILES_RSS_LIMIT = 400 * MiB
const SPARSE_RSS_LIMIT = 200 * MiB

function buildMeasured (dir: string): Promise<{ code: number | null, stdout: string, stderr: string, rss: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', HOOK, CLI, 'build', dir, '--announce', 'ws://127.0.0.1:1'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', d => { stdout += d })
    child.stderr.on('data', d => { stderr += d })
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`build hung:\n${stderr}`)) }, 300_000)
    child.on('close', code => {
      clearTimeout(timer)
      const rss = /maxrss-kib=(\d+)/.exec(stderr)
      resolve({ code, stdout, stderr, rss: rss ? Number(rss[1]) * 1024 : NaN })
    })
  })
}

const scale = suite('scale')
scale.after(cleanup)

scale('packs 100,000 small files with peak RSS under 400 MiB, into shards of at most 1,000 files', async () => {
  const dir = await tempDir()
  for (let d = 0; d < 500; d++) {
    mkdirSync(join(dir, `d${d}`))
    for (let i = 0; i < 200; i++) writeFileSync(join(dir, `d${d}`, `f${i}.txt`), `file ${d}/${i}\n`)
  }
  const r = await buildMeasured(dir)
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stdout, /^planktos: 100000 files /)
  assert.ok(r.rss < MANY_FILES_RSS_LIMIT, `peak RSS ${Math.round(r.rss / MiB)} MiB`)
  const manifest = JSON.parse(await readFile(join(dir, 'planktos/manifest.json'), 'utf8'))
  const counts: number[] = manifest.shards.map((s: { files: number }) => s.files)
  assert.is(counts.reduce((a, b) => a + b, 0), 100_000)
  assert.ok(Math.max(...counts) <= 1000, `largest shard: ${Math.max(...counts)} files`)
  const rootBytes = (await readFile(join(dir, 'planktos/manifest.json'))).length
  assert.ok(rootBytes < 256 * 1024, `root manifest: ${rootBytes} bytes`)
})

scale('hashes a sparse 5 GiB file without holding it in memory', async () => {
  const dir = await tempDir()
  const size = 5 * 1024 * MiB
  const handle = await open(join(dir, 'huge.bin'), 'w')
  await handle.truncate(size)
  await handle.close()
  writeFileSync(join(dir, 'index.html'), '<html><head></head></html>')
  const r = await buildMeasured(dir)
  assert.is(r.code, 0, r.stderr)
  assert.ok(r.rss < SPARSE_RSS_LIMIT, `peak RSS ${Math.round(r.rss / MiB)} MiB`)
  const manifest = JSON.parse(await readFile(join(dir, 'planktos/manifest.json'), 'utf8'))
  const shard = manifest.shards.find((s: { first: string }) => s.first === 'huge.bin')
  assert.ok(shard, 'the huge file has a shard of its own')
  const part = JSON.parse(await readFile(join(dir, shard.part), 'utf8'))
  // The SHA-256 of 5 GiB of zeros, computed here independently, 64 MiB at a time.
  const zeros = Buffer.alloc(64 * MiB)
  const hash = createHash('sha256')
  for (let done = 0; done < size; done += zeros.length) hash.update(zeros)
  assert.is(part.files[0].sha256, hash.digest('hex'))
  assert.is(part.files[0].size, size)
})

scale.run()
