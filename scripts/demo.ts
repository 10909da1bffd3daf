// npm run demo: builds both example sites with planktos against a local tracker, serves them, prints the URLs,
// and runs until Ctrl-C. `npm run demo -- --check` has two headless browsers visit each site instead, prints
// where the second visitor's bytes came from after its first page, and fails unless peers gave at least half.
import { spawnSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { serve, type RequestLogEntry, type ServeHandle } from '../integrations/cli/serve.ts'
import { startTracker } from '../integrations/cli/tracker.ts'
import type { Manifest, ShardPart } from '../runtime/shared/manifest.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const { values } = parseArgs({ options: { check: { type: 'boolean' } } })

interface Site { name: string, dir: string, build: { command: string, args: string[], cwd: string } }
const SITES: Site[] = [
  { name: 'astro', dir: 'sites/astro/dist', build: { command: 'astro', args: ['build', '--root', 'sites/astro'], cwd: root } },
  { name: 'eleventy', dir: 'sites/eleventy/_site', build: { command: 'eleventy', args: [], cwd: join(root, 'sites/eleventy') } }
]

const tracker = await startTracker({ port: 0 })
const servers: ServeHandle[] = []
const logs = new Map<string, RequestLogEntry[]>()
const stop = async (): Promise<void> => {
  await Promise.all(servers.map(s => s.close()))
  await tracker.close()
}

try {
  run(process.execPath, ['scripts/build.ts'], root)
  for (const site of SITES) {
    console.log(`demo: building the ${site.name} example site with planktos…`)
    // The sites read their tracker and ICE servers from the environment (see their config files): the
    // tracker's port is only known now, so the sites are built on every run.
    run(join(root, 'node_modules/.bin', site.build.command), site.build.args, site.build.cwd, {
      PLANKTOS_ANNOUNCE: tracker.url, PLANKTOS_ICE: 'none', ASTRO_TELEMETRY_DISABLED: '1'
    })
  }
  for (const site of SITES) {
    const log: RequestLogEntry[] = []
    logs.set(site.name, log)
    servers.push(await serve({ dir: join(root, site.dir), port: 0, onRequest: e => log.push(e) }))
  }
  if (values.check) {
    const { check } = await import('./demo-check.ts')
    let ok = true
    for (const [i, site] of SITES.entries()) {
      ok = await check(site.name, servers[i]!.url, await pagesOf(join(root, site.dir)), logs.get(site.name)!) && ok
    }
    process.exitCode = ok ? 0 : 1
  } else {
    console.log(`\nplanktos demo: tracker ${tracker.url}`)
    for (const [i, site] of SITES.entries()) console.log(`  ${site.name.padEnd(9)} ${servers[i]!.url}`)
    console.log(`\nOpen a URL in two browser windows that do not share storage (say, a normal and a private window,
or two browsers). Browse a few pages in the first, then the same pages in the second: add #planktos-debug
to a URL to see bytes from peers and from the origin, or run "await planktos.stats()" in the console.
Ctrl-C stops the servers and the tracker.`)
    await new Promise(resolve => { process.once('SIGINT', resolve); process.once('SIGTERM', resolve) })
  }
} finally {
  await stop()
}

function run (command: string, args: string[], cwd: string, env: Record<string, string> = {}): void {
  const result = spawnSync(command, args, { cwd, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...env } })
  if (result.status !== 0) throw new Error(`demo: "${command} ${args.join(' ')}" failed (exit ${result.status})`)
}

/** The site's pages as URL paths relative to the base (about/index.html -> about/), without the 404 page. */
async function pagesOf (dir: string): Promise<string[]> {
  const manifest: Manifest = JSON.parse(await readFile(join(dir, 'planktos/manifest.json'), 'utf8'))
  const pages: string[] = []
  for (const shard of manifest.shards) {
    const part: ShardPart = JSON.parse(await readFile(join(dir, shard.part), 'utf8'))
    for (const file of part.files) {
      if (file.path.endsWith('index.html')) pages.push(file.path.slice(0, -'index.html'.length))
    }
  }
  return pages.sort((a, b) => a.length - b.length || (a < b ? -1 : 1))
}
