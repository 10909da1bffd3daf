// The planktos command: summaries, tables, and one clear sentence with exit code 1 on bad input.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { open, readdir, readFile, rename, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { CLI, planktos } from './helpers/cli.ts'
import { cleanup, seededBytes, snapshot, tempDir, writeTree } from './helpers/fs.ts'

const SITE = {
  'index.html': '<!doctype html><html><head><title>Home</title></head><body><img src="a.png"></body></html>',
  'a.png': seededBytes('a', 30_000),
  'b/index.html': '<!doctype html><title>B</title>'
}

const build = suite('planktos build')
build.after(cleanup)

build('prints one summary line with files, shards, bytes and time, and exits 0', async () => {
  const dir = await tempDir()
  await writeTree(dir, SITE)
  const r = await planktos(['build', dir, '--announce', 'ws://127.0.0.1:1', '--base', '/docs'])
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stdout, /^planktos: 3 files \([\d.]+ KiB\) in 1 shard, 2 of 2 pages tagged, \+[\d.]+ KiB of planktos files, in \d+ ms\n$/)
  const manifest = JSON.parse(await readFile(join(dir, 'planktos/manifest.json'), 'utf8'))
  assert.is(manifest.base, '/docs/')
  assert.equal(manifest.settings.announce, ['ws://127.0.0.1:1'])
})

build('passes every flag of the options table through to the manifest', async () => {
  const dir = await tempDir()
  await writeTree(dir, SITE)
  const r = await planktos(['build', dir, '--announce', 'ws://127.0.0.1:1', '--announce', 'ws://127.0.0.1:2',
    '--rtc-config', '{"iceServers":[]}', '--peer-timeout', '900', '--prefetch', 'pages', '--prefetch-budget', '2MiB',
    '--max-storage', '64MiB', '--update', 'prompt', '--p2p', 'opt-in', '--ignore-param', 'ts', '--debug', '--shard-size', '8MiB'])
  assert.is(r.code, 0, r.stderr)
  const { settings } = JSON.parse(await readFile(join(dir, 'planktos/manifest.json'), 'utf8'))
  assert.equal(settings, {
    announce: ['ws://127.0.0.1:1', 'ws://127.0.0.1:2'],
    trackersPerShard: 2,
    rtcConfig: { iceServers: [] },
    peerTimeout: 900,
    prefetch: 'pages',
    prefetchBudget: 2 * 1024 * 1024,
    maxStorage: 64 * 1024 * 1024,
    update: 'prompt',
    p2p: 'opt-in',
    ignoreSearchParams: ['ts'],
    debug: true,
    persist: false
  })
})

build('leaves pages untagged with --no-inject', async () => {
  const dir = await tempDir()
  await writeTree(dir, SITE)
  const r = await planktos(['build', dir, '--no-inject', '--announce', 'ws://127.0.0.1:1'])
  assert.is(r.code, 0, r.stderr)
  assert.not.match(await readFile(join(dir, 'index.html'), 'utf8'), 'planktos')
})

build('lists warnings on stderr', async () => {
  const dir = await tempDir()
  await writeTree(dir, { ...SITE, 'sw.html': '<script>navigator.serviceWorker.register("/sw.js")</script>' })
  const r = await planktos(['build', dir, '--announce', 'ws://127.0.0.1:1'])
  assert.is(r.code, 0)
  assert.match(r.stderr, /^planktos: warning: The site registers its own service worker \(in "sw.html"\)/m)
})

build.run()

const bad = suite('bad input')
bad.after(cleanup)

const cases: Array<[string, string[], RegExp]> = [
  ['a missing folder', ['build', '/nonexistent/planktos/site'], /does not exist/],
  ['no folder', ['build'], /needs one folder/],
  ['an unknown flag', ['build', '.', '--frobnicate'], /Unknown option '--frobnicate'/],
  ['a bad size', ['build', '.', '--shard-size', 'huge'], /^planktos: --shard-size must be a size in bytes/],
  ['a bad mode', ['build', '.', '--prefetch', 'some'], /^planktos: --prefetch must be one of "none", "pages", "all"/],
  ['a bad tracker URL', ['build', '.', '--announce', 'http://x'], /--announce must list WebSocket tracker URLs/],
  ['bad JSON', ['build', '.', '--rtc-config', '{'], /--rtc-config must be JSON/],
  ['an unknown command', ['bild'], /"bild" is not a planktos command/],
  ['a bad port', ['serve', '.', '--port', 'x'], /--port must be a whole number/],
  ['inspect of an unbuilt folder', ['inspect', '/nonexistent/planktos/site'], /run "planktos build/]
]
for (const [name, args, message] of cases) {
  bad(`gives one sentence and exit code 1 for ${name}`, async () => {
    const r = await planktos(args)
    assert.is(r.code, 1)
    assert.match(r.stderr, message)
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr)
    assert.not.match(r.stderr, /\n\s+at /)
  })
}

bad.run()

const other = suite('help, version and inspect')
other.after(cleanup)

other('prints the version from package.json', async () => {
  const r = await planktos(['--version'])
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'))
  assert.is(r.stdout.trim(), pkg.version)
})

other('has --help for every command', async () => {
  for (const command of ['build', 'serve', 'tracker', 'inspect']) {
    const r = await planktos([command, '--help'])
    assert.is(r.code, 0)
    assert.match(r.stdout, `Usage: planktos ${command}`)
  }
})

other('inspect lists every shard with its infohash, files and bytes, and the totals', async () => {
  const dir = await tempDir()
  const files: Record<string, Uint8Array> = {}
  for (let i = 0; i < 40; i++) files[`f${i}.bin`] = seededBytes(`x${i}`, 100_000)
  await writeTree(dir, files)
  assert.is((await planktos(['build', dir, '--shard-size', '1MiB', '--announce', 'ws://127.0.0.1:1'])).code, 0)
  const manifest = JSON.parse(await readFile(join(dir, 'planktos/manifest.json'), 'utf8'))
  const r = await planktos(['inspect', dir])
  assert.is(r.code, 0, r.stderr)
  for (const shard of manifest.shards) assert.match(r.stdout, new RegExp(`^${shard.infoHash}\\s+${shard.files}\\s`, 'm'))
  assert.match(r.stdout, `${manifest.shards.length} shards, 40 files, 3.81 MiB`)
})

other.run()

const interrupt = suite('planktos build and Ctrl-C')
interrupt.after(cleanup)

interrupt('stops on SIGINT mid-build with one sentence and exit code 1, leaving the folder as it was', async () => {
  const dir = await tempDir()
  await writeTree(dir, SITE)
  // A sparse 2 GiB file, put beside the site: seconds of hashing, so the signal lands mid-build.
  const handle = await open(join(dir, 'big.bin'), 'w')
  await handle.truncate(2 * 1024 * 1024 * 1024)
  await handle.close()
  const withoutBig = async (): Promise<Record<string, string>> => {
    await rename(join(dir, 'big.bin'), join(dir, '..', `${basename(dir)}.big`))
    const snap = await snapshot(dir)
    await rename(join(dir, '..', `${basename(dir)}.big`), join(dir, 'big.bin'))
    return snap
  }
  const before = await withoutBig()
  const child = spawn(process.execPath, [CLI, 'build', dir, '--announce', 'ws://127.0.0.1:1'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', d => { stderr += d })
  // Wait until the build has made its staging folder (so it has started), then a little more.
  for (let i = 0; i < 1500 && !(await readdir(join(dir, '.planktos-staging/new')).then(() => true, () => false)); i++) {
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  await new Promise(resolve => setTimeout(resolve, 300))
  child.kill('SIGINT')
  const code = await new Promise(resolve => child.on('close', resolve))
  assert.is(code, 1, stderr)
  assert.match(stderr, /^planktos: Interrupted; the folder was left as it was before the build\.\n$/)
  assert.equal(await withoutBig(), before)
  assert.is((await stat(join(dir, 'big.bin'))).size, 2 * 1024 * 1024 * 1024)
})

interrupt.run()
