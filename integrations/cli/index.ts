#!/usr/bin/env node
// The `planktos` command: parses flags, calls the library, prints. No logic of its own.
import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util'
import { build, BuildError, type BuildProgress } from '../builder/index.ts'
import { packageRoot } from '../builder/runtime-files.ts'
import { summaryLine } from '../adapter-log.ts'
import { OptionError } from '../options.ts'
import { FLAG_NAMES, FlagError, flagsToOptions, optionFlags } from './flags.ts'
import { helpLines } from '../options-table.ts'
import { formatBytes, formatMs, table } from '../format.ts'
import { serve } from './serve.ts'
import { startTracker } from './tracker.ts'
import { MANIFEST_FILE, type Manifest } from '../../runtime/shared/manifest.ts'

const HELP: Record<string, string> = {
  main: `Usage: planktos <command> [options]

Serve a static site peer-to-peer from its visitors' browsers.

Commands:
  build <dir>     pack a built site (dist/, _site/, ...) into torrents, a manifest and the runtime
  serve <dir>     serve a folder locally, with Range support, for previews and tests
  tracker         run a WebTorrent (WebSocket) tracker
  inspect <dir>   list the shards of a built site

Run "planktos <command> --help" for a command's options.
  --version       print the version`,
  build: `Usage: planktos build <dir> [options]

Packs the finished site in <dir> in place: torrents, manifest and runtime under
<dir>/planktos/, the worker at <dir>/planktos-sw.js, an install tag in every page.

Options (docs/options.md gives the defaults):
${helpLines()}`,
  serve: `Usage: planktos serve <dir> [--port <n>] [--host <addr>] [--base <path>]

Serves <dir> at http://<host>:<port><base> with Range requests, MIME types and
revalidation headers. For previews and tests; use a real static host in production.
  --port <n>     port (default 8080; 0 picks a free one)
  --host <addr>  address to listen on (default 127.0.0.1)
  --base <path>  URL path the folder is served under (default /)`,
  tracker: `Usage: planktos tracker [--port <n>] [--host <addr>] [--allow <manifest>]... [--connections-per-ip <n>]

Runs a WebTorrent tracker (WebSocket) for your site's visitors; counters at /metrics.
  --port <n>          port (default 8000; 0 picks a free one)
  --host <addr>       address to listen on (default 127.0.0.1; 0.0.0.0 for a public server)
  --allow <manifest>  track only the infohashes of this manifest (a file or an http(s) URL,
                      re-read every minute); repeat for several sites
  --connections-per-ip <n>  open connections from one address (default 64)`,
  inspect: `Usage: planktos inspect <dir>

Lists the shards of the site built in <dir>: infohash, files and bytes.`
}


class UsageError extends Error {}

function version (): string {
  return JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')).version
}

async function main (argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (command === '--version' || command === '-v') {
    console.log(version())
    return 0
  }
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(HELP.main)
    return command ? 0 : 1
  }
  if (!(command in HELP) || command === 'main') throw new UsageError(`"${command}" is not a planktos command; run "planktos --help" to see the commands.`)
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(HELP[command])
    return 0
  }
  switch (command) {
    case 'build': return runBuild(rest)
    case 'serve': return runServe(rest)
    case 'tracker': return runTracker(rest)
    default: return runInspect(rest)
  }
}

function parse (command: string, args: string[], options: ParseArgsOptionsConfig, positionals: number): { values: Record<string, any>, positionals: string[] } {
  let parsed
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true })
  } catch (err) {
    throw new UsageError(`${(err as Error).message.replace(/\. To specify.*$/s, '').replace(/\.$/, '')}; run "planktos ${command} --help" for the options.`)
  }
  if (parsed.positionals.length !== positionals) {
    throw new UsageError(positionals === 1
      ? `planktos ${command} needs one folder, such as "planktos ${command} dist"; run "planktos ${command} --help" for details.`
      : `planktos ${command} takes no folder; run "planktos ${command} --help" for details.`)
  }
  return parsed
}

async function runBuild (args: string[]): Promise<number> {
  const { values, positionals } = parse('build', args, optionFlags, 1)
  const options = flagsToOptions(values)
  const controller = new AbortController()
  const onSigint = (): void => controller.abort(new BuildError('Interrupted; the folder was left as it was before the build.'))
  process.once('SIGINT', onSigint)
  const progress = process.stderr.isTTY ? progressLine() : () => {}
  try {
    const result = await build(positionals[0]!, options, { signal: controller.signal, onProgress: progress })
    progress(null)
    for (const warning of result.warnings) console.error(`planktos: warning: ${warning}`)
    console.log(`planktos: ${summaryLine(result)}`)
    return 0
  } finally {
    progress(null)
    process.off('SIGINT', onSigint)
  }
}

/** A single self-rewriting line on stderr; null clears it. */
function progressLine (): (p: BuildProgress | null) => void {
  let last = 0
  let shown = false
  return p => {
    if (p === null) {
      if (shown) process.stderr.write('\r\x1b[K')
      shown = false
      return
    }
    const now = Date.now()
    if (now - last < 100) return
    last = now
    shown = true
    const detail = p.phase === 'hash' && p.total ? ` ${formatBytes(p.done)} / ${formatBytes(p.total)} (${Math.floor(100 * p.done / p.total)}%)` : ''
    process.stderr.write(`\r\x1b[Kplanktos: ${p.phase}${detail}`)
  }
}

async function runServe (args: string[]): Promise<number> {
  const { values, positionals } = parse('serve', args, { port: { type: 'string' }, host: { type: 'string' }, base: { type: 'string' } }, 1)
  const server = await serve({ dir: positionals[0]!, port: port(values.port, 8080), host: values.host as string | undefined, base: values.base as string | undefined })
  console.log(`planktos: serving ${positionals[0]} at ${server.url} (Ctrl-C to stop)`)
  await untilInterrupted()
  await server.close()
  return 0
}

async function runTracker (args: string[]): Promise<number> {
  const { values } = parse('tracker', args, { port: { type: 'string' }, host: { type: 'string' }, allow: { type: 'string', multiple: true }, 'connections-per-ip': { type: 'string' } }, 0)
  const perIp = values['connections-per-ip'] as string | undefined
  const tracker = await startTracker({
    port: port(values.port, 8000),
    host: values.host as string | undefined,
    allow: values.allow as string[] | undefined,
    connectionsPerIp: perIp === undefined ? undefined : Number(perIp),
    onWarning: (message: string) => console.error(`planktos: warning: ${message}`)
  })
  console.log(`planktos: tracker at ${tracker.url} (stats: ${tracker.statsUrl}, metrics: ${tracker.metricsUrl})${values.allow ? `, tracking only the infohashes of ${(values.allow as string[]).join(', ')}` : ''}; Ctrl-C to stop`)
  await untilInterrupted()
  await tracker.close()
  return 0
}

// bittorrent-tracker is an optional peer dependency (it pulls in a native WebRTC module), so only this command loads it.

async function runInspect (args: string[]): Promise<number> {
  const { positionals } = parse('inspect', args, {}, 1)
  const path = join(positionals[0]!, MANIFEST_FILE)
  let manifest: Manifest
  try {
    manifest = JSON.parse(await readFile(path, 'utf8'))
  } catch (err) {
    throw new UsageError((err as NodeJS.ErrnoException).code === 'ENOENT'
      ? `"${path}" does not exist; run "planktos build ${positionals[0]}" first.`
      : `"${path}" is not a readable planktos manifest (${(err as Error).message}); rebuild the site.`)
  }
  const rows = [['infohash', 'files', 'bytes', 'first file']]
  for (const s of manifest.shards) rows.push([s.infoHash, String(s.files), formatBytes(s.size), s.first])
  console.log(table(rows))
  const files = manifest.shards.reduce((n, s) => n + s.files, 0)
  const bytes = manifest.shards.reduce((n, s) => n + s.size, 0)
  console.log(`\n${manifest.shards.length} shards, ${files} files, ${formatBytes(bytes)}; build ${manifest.buildId.slice(0, 12)}, base ${manifest.base}`)
  return 0
}

function port (value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535; got "${value}".`)
  return n
}

function untilInterrupted (): Promise<void> {
  return new Promise(resolve => {
    process.once('SIGINT', () => resolve())
    process.once('SIGTERM', () => resolve())
  })
}

main(process.argv.slice(2)).then(
  code => { process.exitCode = code },
  (err: Error) => {
    if (err instanceof OptionError) {
      const flag = FLAG_NAMES[err.option] ?? `--${err.option}`
      console.error(err.message.replace(/^planktos: option "[^"]+"/, `planktos: ${flag}`))
    } else if (err instanceof BuildError || err instanceof UsageError || err instanceof FlagError || (err as { expose?: boolean }).expose) {
      console.error(err.message.startsWith('planktos') ? err.message : `planktos: ${err.message}`)
    } else {
      console.error(`planktos: unexpected error: ${err?.stack ?? err}`)
    }
    process.exitCode = 1
  }
)
