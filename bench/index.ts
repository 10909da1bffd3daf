// npm run bench [-- part...]: performance measured side by side in one run; results to bench/results/.
// Parts: offload, visits (first and repeat visits), far, build, sizes, anchor; none named runs them all.
// Not part of npm test: nothing here asserts on time. PLANKTOS_BENCH_N (visitors, default 8) and
// PLANKTOS_BENCH_RUNS (runs per variant for first/repeat visits, default 3) trade time for precision.
import { spawnSync } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { availableParallelism, cpus, totalmem, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startTracker } from '../integrations/cli/tracker.ts'
import { benchBuild, formatBuildBench, writeJson } from './build.ts'
import { FAR, netemAvailable } from './link.ts'
import { anchor2017, install2017, PACKAGE } from './planktos-2017.ts'
import { anchorTable, chartOf, offloadTable, sizesTable, visitTable } from './report.ts'
import { runtimeSizes, sizes2017 } from './sizes.ts'
import { prepareSites, AUDIO_PAGE, type BenchSite } from './sites.ts'
import { offloadSite, pathsOf, visitSite, type PathResult } from './visitors-bench.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const PARTS = ['offload', 'visits', 'far', 'build', 'sizes', 'anchor']
const ALIASES: Record<string, string> = { first: 'visits', repeat: 'visits', first_visit: 'visits', size: 'sizes' }
const asked = process.argv.slice(2).filter(a => !a.startsWith('-')).map(a => ALIASES[a] ?? a)
for (const a of asked) if (!PARTS.includes(a)) { console.error(`bench: unknown part "${a}"; the parts are ${PARTS.join(', ')}.`); process.exit(2) }
const want = (name: string): boolean => asked.length === 0 || asked.includes(name)
const work = process.env.PLANKTOS_BENCH_DIR ?? join(tmpdir(), 'planktos-bench')
const N = Number(process.env.PLANKTOS_BENCH_N ?? 8)
const RUNS = Number(process.env.PLANKTOS_BENCH_RUNS ?? 3)
const results = join(root, 'bench/results')
const log = (line: string): void => console.log(line)
const began = Date.now()

const built = process.env.PLANKTOS_SKIP_BUILD ? { status: 0 } : spawnSync(process.execPath, ['scripts/build.ts'], { cwd: root, stdio: 'inherit' })
if (built.status !== 0) process.exit(built.status ?? 1)

const machine = { date: new Date().toISOString().slice(0, 10), cpus: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, browser: 'Debian Chromium (/usr/bin/chromium) via playwright-core' }
const machineLine = `${machine.date}, ${machine.cpus} × ${machine.cpu}, ${machine.memoryGiB} GiB, Node ${machine.node}`
console.log(`planktos bench on ${machineLine}\n`)
const tables: string[] = [`Measured ${machineLine}, Chromium; N = ${N} visitors, ${RUNS} runs per variant.`]

if (want('sizes')) {
  const ours = await runtimeSizes()
  const old = install2017(log) === null ? await sizes2017(PACKAGE) : null
  const table = sizesTable(ours, old)
  console.log(table + '\n')
  tables.push('### Sizes\n\n' + table)
  await writeJson(join(results, 'sizes.json'), { machine, ours, planktos2017: old })
}

const visitorParts = ['offload', 'visits', 'far', 'anchor'].filter(want)
if (visitorParts.length > 0) {
  const tracker = await startTracker({ port: 0 })
  try {
    const sites = await prepareSites(join(work, 'sites'), tracker.url, log)
    const byName = (name: string): BenchSite => sites.find(s => s.name === name)!
    // What the offload part measures: every path of every site would take too long on a small machine; these
    // cover both adapters, the audio page and the larger site.
    const offloadPaths = [
      { site: byName('eleventy'), ...pathsOf(byName('eleventy'))[0]! },
      { site: byName('eleventy'), ...pathsOf(byName('eleventy'))[1]! },
      { site: byName('astro'), ...pathsOf(byName('astro'))[1]! },
      { site: byName('media'), ...pathsOf(byName('media'))[0]! }
    ]

    if (want('offload')) {
      const out: PathResult[] = []
      for (const p of offloadPaths) {
        log(`offload: ${p.label}, ${N} visitors…`)
        out.push(await offloadSite(p.site, p.label, p.path, N, undefined, log))
      }
      const table = offloadTable(out)
      console.log('\n' + table + '\n')
      tables.push('### Offload (loopback)\n\n' + table)
      await writeJson(join(results, 'offload.json'), { machine, n: N, results: out })
      await writeFile(join(results, 'offload.svg'), chartOf(out, `origin site-file bytes after k visitors, ÷ one plain visit; ${machineLine}`))
      log('written: bench/results/offload.json, bench/results/offload.svg')
    }

    if (want('visits')) {
      const out = []
      for (const site of sites) {
        const path = site.path.filter(p => p !== AUDIO_PAGE)
        log(`visits: ${site.name}, ${RUNS} runs per variant…`)
        out.push(await visitSite(site, site.path.includes(AUDIO_PAGE) ? `${site.name} (no audio page)` : site.name, path, RUNS, undefined, log))
      }
      const table = visitTable(out, 'First and repeat visit (loopback; times judged by nobody)')
      console.log('\n' + table + '\n')
      tables.push('### First and repeat visit (loopback)\n\n' + table)
      await writeJson(join(results, 'visits.json'), { machine, runs: RUNS, results: out })
      log('written: bench/results/visits.json')
    }

    if (want('far')) {
      const netem = netemAvailable()
      const how = netem.ok
        ? 'netns + veth + netem work here, but the harness uses its user-space link everywhere so results compare across machines'
        : `ip netns/tc netem refused: ${netem.steps.filter(s => s.status !== 0).map(s => `"${s.command}" -> ${s.stderr}`).join('; ')}; the origin is put behind the harness's user-space link instead`
      log(`far: ${how}`)
      const link = FAR
      const far = [byName('eleventy'), byName('media')]
      const offloads: PathResult[] = []
      for (const site of far) {
        const p = site.path.includes(AUDIO_PAGE) ? pathsOf(site)[1]! : pathsOf(site)[0]!
        log(`far offload: ${p.label}, ${N} visitors, origin behind ${link.rttMs} ms RTT, ${link.mbit} Mbit/s…`)
        offloads.push(await offloadSite(site, p.label, p.path, N, link, log))
      }
      const visits = []
      for (const site of far) {
        const path = site.path.filter(p => p !== AUDIO_PAGE)
        log(`far visits: ${site.name}, ${RUNS} runs per variant…`)
        visits.push(await visitSite(site, site.path.includes(AUDIO_PAGE) ? `${site.name} (no audio page)` : site.name, path, RUNS, link, log))
      }
      const table = `Origin behind ${link.rttMs} ms RTT and ${link.mbit} Mbit/s (${netem.ok ? 'user-space link' : 'user-space link; netem unavailable'}); visitors, tracker and peers on loopback.\n\n` +
        offloadTable(offloads) + '\n\n' + visitTable(visits, `First and repeat visit, origin far (goals: first ≤ 1.05×, repeat ≤ 0.7× the time)`)
      console.log('\n' + table + '\n')
      tables.push('### Origin far away\n\n' + table)
      await writeJson(join(results, 'far.json'), { machine, link, netem, how, offload: offloads, visits })
      log('written: bench/results/far.json')
    }

    if (want('anchor')) {
      const site = byName('eleventy')
      const path = ['', 'about/', 'blog/']
      log('anchor: the 2017 planktos on the eleventy site, 2 visitors staying online…')
      // Our side of the comparison: the same three pages, the same two visitors.
      const ours = await offloadSite(site, 'eleventy (3 pages)', path, 2, undefined, log)
      const a = await anchor2017(site.plain, work, path, tracker.url, ours.plainVisitBytes, 2, log)
      const table = anchorTable(a, ours)
      console.log('\n' + table + '\n')
      tables.push('### The 2017 planktos (npm planktos@0.3.0), same harness, eleventy site, 3 pages\n\n' + table)
      await writeJson(join(results, 'anchor.json'), { machine, path, planktos2017: a, ours })
      log('written: bench/results/anchor.json')
    }
  } finally {
    await tracker.close()
  }
}

if (want('build')) {
  const result = await benchBuild(join(work, 'build'))
  console.log('\n' + formatBuildBench(result) + '\n')
  await writeJson(join(results, 'build.json'), { machine, ...result })
  console.log('written: bench/results/build.json')
}

const minutes = ((Date.now() - began) / 60_000).toFixed(1)
console.log(`bench: done in ${minutes} min (abs.)`)
tables.push(`Whole run: ${minutes} min (abs.).`)
// The tables of the last run, as pasted into the README's Benchmark section.
if (tables.length > 1) await writeFile(join(results, 'tables.md'), tables.join('\n\n') + '\n')
