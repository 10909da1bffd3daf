// Build benchmark: our build vs create-torrent alone (same piece length) vs a plain SHA-256 pass, same files, one run.
import { spawn } from 'node:child_process'
import { cp, mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { makeSyntheticSite } from './synthetic-site.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const hook = join(root, 'bench/rss-hook.ts')

export interface Measure { ms: number, rssMiB: number }

/** Runs a Node program with the RSS hook; wall time from spawn to exit. */
function measure (args: string[]): Promise<Measure> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const child = spawn(process.execPath, ['--import', hook, ...args], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', d => { stderr += d })
    child.on('close', code => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      const rss = /@@planktos-bench maxrss-kib=(\d+)/.exec(stderr)
      if (code !== 0 || !rss) return reject(new Error(`${args.join(' ')} failed (${code}):\n${stderr}`))
      resolve({ ms, rssMiB: Number(rss[1]) / 1024 })
    })
  })
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

export interface BuildBench {
  site: { files: number, bytes: number }
  runs: number
  ours: Measure
  createTorrent: Measure
  sha256Pass: Measure
  ratios: { oursVsCreateTorrentTime: number, oursVsSha256Time: number }
}

/** Runs each tool `runs` times, interleaved, and keeps medians. */
export async function benchBuild (work: string, runs = 3, log: (line: string) => void = console.log): Promise<BuildBench> {
  const pristine = join(work, 'synthetic')
  await mkdir(work, { recursive: true })
  log('build bench: generating the synthetic site (once; reused afterwards)…')
  const site = await makeSyntheticSite(pristine)
  const copy = join(work, 'synthetic-build')
  const results: Record<'ours' | 'createTorrent' | 'sha256Pass', Measure[]> = { ours: [], createTorrent: [], sha256Pass: [] }
  // One untimed read of everything, so every tool starts from a warm page cache.
  await measure(['bench/sha256-pass.ts', pristine])
  for (let i = 0; i < runs; i++) {
    await rm(copy, { recursive: true, force: true })
    await cp(pristine, copy, { recursive: true })
    results.ours.push(await measure(['dist/integrations/cli/index.js', 'build', copy, '--announce', 'ws://127.0.0.1:1']))
    results.createTorrent.push(await measure(['node_modules/create-torrent/bin/cmd.js', pristine, '--pieceLength', '16384', '--announce', 'ws://127.0.0.1:1', '-o', join(work, 'ct.torrent')]))
    results.sha256Pass.push(await measure(['bench/sha256-pass.ts', pristine]))
    log(`build bench: run ${i + 1}/${runs}: ours ${results.ours.at(-1)!.ms.toFixed(0)} ms, create-torrent ${results.createTorrent.at(-1)!.ms.toFixed(0)} ms, sha256 ${results.sha256Pass.at(-1)!.ms.toFixed(0)} ms`)
  }
  await rm(copy, { recursive: true, force: true })
  const pick = (ms: Measure[]): Measure => ({ ms: Math.round(median(ms.map(m => m.ms))), rssMiB: Math.round(Math.max(...ms.map(m => m.rssMiB))) })
  const ours = pick(results.ours)
  const createTorrent = pick(results.createTorrent)
  const sha256Pass = pick(results.sha256Pass)
  return {
    site,
    runs,
    ours,
    createTorrent,
    sha256Pass,
    ratios: {
      oursVsCreateTorrentTime: +(ours.ms / createTorrent.ms).toFixed(3),
      oursVsSha256Time: +(ours.ms / sha256Pass.ms).toFixed(3)
    }
  }
}

export function formatBuildBench (b: BuildBench): string {
  const row = (name: string, m: Measure): string => `| ${name} | ${(m.ms / 1000).toFixed(2)} s | ${m.rssMiB} MiB |`
  return [
    `Build: synthetic site, ${b.site.files} files, ${(b.site.bytes / 2 ** 20).toFixed(0)} MiB, median of ${b.runs} runs (peak RSS: max)`,
    '',
    '| tool | wall time (abs.) | peak RSS (abs.) |',
    '|---|---|---|',
    row('planktos build (torrents + SHA-256 + pages + manifest)', b.ours),
    row('create-torrent CLI alone, 16 KiB pieces', b.createTorrent),
    row('plain SHA-256 pass, one thread', b.sha256Pass),
    '',
    `planktos / create-torrent: ${b.ratios.oursVsCreateTorrentTime}× time (goal ≤ 1.2×); planktos / SHA-256 pass: ${b.ratios.oursVsSha256Time}×`
  ].join('\n')
}

export async function writeJson (path: string, data: unknown): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true })
  await writeFile(path, JSON.stringify(data, null, 2) + '\n')
}
