// npm run bench [full] [-- part...]: performance measured side by side in one run; results to bench/results/.
// Without `full` (or PLANKTOS_BENCH_FULL=1) it runs the quick plan, minutes on a small machine; `full` runs every site
// and path (over an hour here). See bench/plan.ts for what each plan covers.
// Parts: tracker, sizes, metadata (planktos' metadata per page read on a large multilingual docs site, modelled from its build), bill (every byte the origin sends, compressed: example sites, the median-weight population, the media page), offload, visits (first and repeat visits),
// far, anchor, crowd (N visitors wanting one large file; then a media element in the crowd seeking to the middle), build, webkit (a browser without WebRTC), unreachable (the tracker out of reach); none named
// runs them all but build, crowd, webkit and unreachable,
// which run when named (build also in the full plan).
// Not part of npm test: nothing here asserts on time. PLANKTOS_BENCH_N (visitors, default 8) and
// PLANKTOS_BENCH_RUNS (runs per variant for first/repeat visits, default 3) trade time for precision.
import { spawnSync } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { availableParallelism, cpus, loadavg, totalmem, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startTracker } from '../integrations/cli/tracker.ts'
import { billSite, billTable, type BillResult } from './bill.ts'
import { billMedia, mediaTable } from './media-page.ts'
import { billPopulation, populationTable } from './population.ts'
import { benchBuild, formatBuildBench, writeJson } from './build.ts'
import { crowdCase, crowdCases, crowdSites, crowdTable, type CrowdResult } from './crowd.ts'
import { seekCase, seekSites, seekTable, type SeekResult } from './seek.ts'
import { startDeadTrackers } from './dead-trackers.ts'
import { FAR, netemAvailable } from './link.ts'
import { anchor2017, install2017, PACKAGE } from './planktos-2017.ts'
import { planOf, sitesOf, type PathChoice } from './plan.ts'
import { anchorTable, chartOf, mergeTables, offloadTable, sizesTable, visitTable } from './report.ts'
import { runtimeSizes, sizes2017 } from './sizes.ts'
import { docsSite, prepareSites, AUDIO_PAGE, type BenchSite } from './sites.ts'
import { benchTrackerRate, formatTrackerRate } from './tracker-rate.ts'
import { benchTrackerScale, formatTrackerScale } from './tracker-scale.ts'
import { offloadSite, visitSite, type PathResult, type VisitResult } from './visitors-bench.ts'
import { benchWebKit, webkitTable, type WebKitResult } from './webkit.ts'
import { buildDocsSite, measureMetadata, metadataTable } from './docs-metadata.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const PARTS = ['tracker', 'sizes', 'metadata', 'offload', 'visits', 'far', 'anchor', 'crowd', 'build', 'webkit', 'bill', 'unreachable']
const ALIASES: Record<string, string> = { first: 'visits', repeat: 'visits', first_visit: 'visits', size: 'sizes' }
const args = process.argv.slice(2).filter(a => !a.startsWith('-'))
const full = args.includes('full') || process.env.PLANKTOS_BENCH_FULL === '1'
const asked = args.filter(a => a !== 'full' && a !== 'quick').map(a => ALIASES[a] ?? a)
for (const a of asked) if (!PARTS.includes(a)) { console.error(`bench: unknown part "${a}"; the parts are ${PARTS.join(', ')} (and "full" for every site and path).`); process.exit(2) }
let plan
try { plan = planOf(full ? 'full' : 'quick') } catch (e) { console.error((e as Error).message); process.exit(2) }
// The build part hashes 500 MiB three times over: the full plan only, unless asked for by name.
// WebKit needs WebKitGTK and Xvfb (installed by .ci/run): by name only.
const want = (name: string): boolean => asked.length === 0 ? (name !== 'build' || plan.mode === 'full') && !['webkit', 'crowd', 'unreachable'].includes(name) : asked.includes(name)
const work = process.env.PLANKTOS_BENCH_DIR ?? join(tmpdir(), 'planktos-bench')
const N = plan.n
const RUNS = plan.runs
const results = join(root, 'bench/results')
const log = (line: string): void => console.log(line)
const began = Date.now()
const load = (): string => loadavg().map(l => l.toFixed(1)).join(' / ')
const loadAtStart = load()

const built = process.env.PLANKTOS_SKIP_BUILD ? { status: 0 } : spawnSync(process.execPath, ['scripts/build.ts'], { cwd: root, stdio: 'inherit' })
if (built.status !== 0) process.exit(built.status ?? 1)

const machine = { date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC', plan: plan.mode, loadAverageAtStart: loadAtStart, cpus: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, browser: 'Debian Chromium (/usr/bin/chromium) via playwright-core' }
const machineLine = `${machine.date}, ${machine.cpus} × ${machine.cpu}, ${machine.memoryGiB} GiB, Node ${machine.node}`
console.log(`planktos bench, ${plan.mode} plan, on ${machineLine}; load average (1 / 5 / 15 min) ${loadAtStart}\n`)
const tables: string[] = [`Measured ${machineLine}, Chromium; ${plan.mode} plan; N = ${N} visitors, ${RUNS} runs per variant; load average (1 / 5 / 15 min) at the start: ${loadAtStart}.`]

// First: the tracker's peak RSS is this process's own, before sites and browsers add to it.
if (want('tracker')) {
  log(`tracker: ${plan.tracker.connections} connections × ${plan.tracker.perConnection} announces, refused then accepted…`)
  const rate = await benchTrackerRate(plan.tracker.connections, plan.tracker.perConnection)
  const table = formatTrackerRate(rate)
  console.log(table + '\n')
  tables.push('### Tracker announce rate\n\n' + table)
  await writeJson(join(results, 'tracker-rate.json'), { machine, loadAverageAfter: load(), ...rate })
  log('written: bench/results/tracker-rate.json')
  const announces = 2 * plan.tracker.connections * plan.tracker.perConnection
  log(`tracker: 1, 2 and 4 processes behind the spread, ${announces} client announces each; then connections held by one process…`)
  const scale = await benchTrackerScale(announces)
  const scaleTable = formatTrackerScale(scale, machine.cpus)
  console.log(scaleTable + '\n')
  tables.push('### Tracker scale-out and memory\n\n' + scaleTable)
  await writeJson(join(results, 'tracker-scale.json'), { machine, loadAverageAfter: load(), ...scale })
  log('written: bench/results/tracker-scale.json')
}

if (want('sizes')) {
  const ours = await runtimeSizes()
  const old = install2017(log) === null ? await sizes2017(PACKAGE) : null
  const table = sizesTable(ours, old)
  console.log(table + '\n')
  tables.push('### Sizes\n\n' + table)
  await writeJson(join(results, 'sizes.json'), { machine, ours, planktos2017: old })
}

if (want('metadata')) {
  log('metadata: a Starlight site in 5 languages (built by Astro), packed; a 5-page visit and a search per language…')
  // Astro resolves its modules from the project's folder up, so the project sits inside the repository.
  const site = await buildDocsSite(join(root, 'test-results', 'bench-docs-metadata'), join(root, 'test/fixtures/astro/starlight'))
  const result = await measureMetadata(site)
  const table = metadataTable(result)
  console.log(table + '\n')
  tables.push('### Metadata per page read, large multilingual docs site\n\n' + table)
  await writeJson(join(results, 'metadata.json'), { machine, ...result })
  log('written: bench/results/metadata.json')
}

const visitorParts = ['bill', 'offload', 'visits', 'far', 'anchor', 'webkit'].filter(want)
if (visitorParts.length > 0) {
  const tracker = await startTracker({ port: 0 })
  try {
    const sites = await prepareSites(join(work, 'sites'), tracker.url, log, sitesOf(plan, want))
    const byName = (name: string): BenchSite => sites.find(s => s.name === name)!
    const pathOf = (c: PathChoice): { site: BenchSite, label: string, path: string[] } => {
      const site = byName(c.site)
      const audio = site.path.includes(AUDIO_PAGE)
      if (c.pages === 'all' || !audio) return { site, label: site.name, path: site.path }
      return { site, label: `${site.name} (no audio page)`, path: site.path.filter(p => p !== AUDIO_PAGE) }
    }
    // First and repeat visits leave out the audio page: its Range requests are the streaming tests' subject.
    const visitPathOf = (name: string): { site: BenchSite, label: string, path: string[] } => pathOf({ site: name, pages: 'no-audio' })

    if (want('bill')) {
      const out: BillResult[] = []
      for (const site of sites.filter(s => s.name === 'astro' || s.name === 'eleventy')) {
        log(`bill: ${site.name}, a bouncing visitor and 6 visitors × 4 pages, with and without planktos…`)
        out.push(await billSite(site, log))
      }
      log('bill: a Starlight documentation site (built by Astro), a bouncing visitor and 6 visitors × 4 pages, with and without planktos…')
      out.push(await billSite(await docsSite(join(work, 'docs'), tracker.url), log))
      log('bill: the median-weight site, 20 visitors with a redeploy, with and without planktos…')
      const population = await billPopulation(join(work, 'median'), tracker.url, log)
      log('bill: the media page, three visitors holding its file and a new one playing it, with and without planktos…')
      const media = await billMedia(join(work, 'media-page'), tracker.url, log)
      const table = [billTable(out), populationTable(population), mediaTable(media)].join('\n\n')
      console.log('\n' + table + '\n')
      // Its own file, so a run of this part alone leaves the other parts' tables as they are (docs.ts puts it first).
      await writeFile(join(results, 'bill.md'), `Measured ${machineLine}, Chromium; load average (1 / 5 / 15 min) at the start: ${loadAtStart}.\n\n${table}\n`)
      await writeJson(join(results, 'bill.json'), { machine, loadAverageAfter: load(), results: out, population, media })
      log('written: bench/results/bill.json, bench/results/bill.md')
    }

    if (want('offload')) {
      const out: PathResult[] = []
      for (const p of plan.offload.map(pathOf)) {
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

    if (want('visits') && plan.visits.length === 0) log('visits: the quick plan measures first and repeat visits behind the far link only (part "far"); "npm run bench full visits" runs them on loopback.')
    if (want('visits') && plan.visits.length > 0) {
      const out = []
      for (const p of plan.visits.map(visitPathOf)) {
        log(`visits: ${p.label}, ${RUNS} runs per variant…`)
        out.push(await visitSite(p.site, p.label, p.path, RUNS, undefined, log))
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
        : `ip netns/tc netem refused: ${netem.steps.filter(s => s.status !== 0).map(s => `"${s.command}" -> ${s.stderr}`).join('; ')}; the origin is put behind the harness's user-space TCP relay (bench/link.ts) instead`
      log(`far: ${how}`)
      const link = FAR
      const offloads: PathResult[] = []
      for (const p of plan.far.offload.map(pathOf)) {
        log(`far offload: ${p.label}, ${N} visitors, origin behind ${link.rttMs} ms RTT, ${link.mbit} Mbit/s…`)
        offloads.push(await offloadSite(p.site, p.label, p.path, N, link, log))
      }
      const visits = []
      for (const p of plan.far.visits.map(visitPathOf)) {
        log(`far visits: ${p.label}, ${RUNS} runs per variant, origin behind ${link.rttMs} ms RTT, ${link.mbit} Mbit/s…`)
        visits.push(await visitSite(p.site, p.label, p.path, RUNS, link, log))
      }
      const table = [
        `Origin behind ${link.rttMs} ms RTT and ${link.mbit} Mbit/s (${netem.ok ? 'user-space TCP relay' : 'user-space TCP relay bench/link.ts; tc netem unavailable in this kernel'}); visitors, tracker and peers on loopback.`,
        ...offloads.length > 0 ? [offloadTable(offloads)] : [],
        visitTable(visits, 'First and repeat visit, origin far (goals: first ≤ 1.05×, repeat ≤ 0.7× the time)')
      ].join('\n\n')
      console.log('\n' + table + '\n')
      tables.push('### Origin far away\n\n' + table)
      await writeJson(join(results, 'far.json'), { machine, link, netem, how, offload: offloads, visits })
      log('written: bench/results/far.json')
    }

    if (want('webkit')) {
      const site = sites.find(s => s.name === 'eleventy') ?? (await prepareSites(join(work, 'sites'), tracker.url, log, ['eleventy']))[0]!
      // On loopback every ms the worker adds shows; behind the far link, what a visitor on a real network sees.
      const out: WebKitResult[] = []
      for (const link of [undefined, FAR]) {
        log(`webkit: ${site.name}, ${RUNS} runs per variant, origin ${link ? `behind ${link.rttMs} ms RTT, ${link.mbit} Mbit/s` : 'on loopback'}…`)
        out.push(await benchWebKit(site, RUNS, log, link))
      }
      const table = out.map(webkitTable).join('\n\n')
      console.log('\n' + table + '\n')
      tables.push('### WebKit, a browser without WebRTC\n\n' + table)
      await writeJson(join(results, 'webkit.json'), { machine: { ...machine, browser: 'Debian WebKitGTK (WebKitWebDriver, test/helpers/webkit-browser.py)' }, results: out })
      log('written: bench/results/webkit.json')
    }

    if (want('anchor')) {
      const { pages, visitors } = plan.anchor
      const site = byName(plan.anchor.site)
      log(`anchor: the 2017 planktos on the ${site.name} site, ${visitors} visitors staying online…`)
      // Our side of the comparison: the same pages, the same number of visitors.
      const ours = await offloadSite(site, `${site.name} (${pages.length} pages)`, pages, visitors, undefined, log)
      const a = await anchor2017(site.plain, work, pages, tracker.url, ours.plainVisitBytes, visitors, log)
      const table = anchorTable(a, ours)
      console.log('\n' + table + '\n')
      tables.push(`### The 2017 planktos (npm planktos@0.3.0), same harness, ${site.name} site, ${pages.length} pages\n\n` + table)
      await writeJson(join(results, 'anchor.json'), { machine, path: pages, planktos2017: a, ours })
      log('written: bench/results/anchor.json')
    }
  } finally {
    await tracker.close()
  }
}

if (want('unreachable')) {
  // The example site packed for a tracker nobody can reach, twice: a refused port and a black hole. First visits
  // through every page (the audio page included: its file is where a worker would wait for peers) against the
  // same pages without planktos, the origin far away as for real visitors.
  const dead = await startDeadTrackers()
  try {
    const out: VisitResult[] = []
    for (const [kind, url] of [['refuses connections', dead.refused], ['never answers', dead.silent]] as const) {
      const [site] = await prepareSites(join(work, `unreachable-${kind.split(' ')[0]}`), url, log, ['eleventy'])
      const label = `${site!.name}, tracker ${kind}`
      log(`unreachable: ${label}, ${RUNS} runs per variant, origin behind ${FAR.rttMs} ms RTT, ${FAR.mbit} Mbit/s…`)
      out.push(await visitSite(site!, label, site!.path, RUNS, FAR, log))
    }
    const table = visitTable(out, `The tracker out of reach, origin behind ${FAR.rttMs} ms RTT and ${FAR.mbit} Mbit/s (goal: ≤ 1.05× the time)`)
    console.log('\n' + table + '\n')
    tables.push('### The tracker out of reach\n\n' + table)
    await writeJson(join(results, 'unreachable.json'), { machine, link: FAR, runs: RUNS, loadAverageAfter: load(), results: out })
    log('written: bench/results/unreachable.json')
  } finally {
    await dead.close()
  }
}

if (want('crowd')) {
  const tracker = await startTracker({ port: 0 })
  try {
    const cases = crowdCases(plan.mode === 'full')
    const out: CrowdResult[] = []
    for (const mib of [...new Set(cases.map(c => c.mib))]) {
      const site = await crowdSites(join(work, 'crowd'), mib, tracker.url)
      for (const c of cases.filter(c => c.mib === mib)) {
        log(`crowd: ${c.n === 1 ? 'one visitor alone' : `${c.n} visitors`}, ${mib} MiB, ${c.arrival === 'together' ? 'all at once' : 'one every 2 s'}, origin behind ${FAR.mbit} Mbit/s shared…`)
        out.push(await crowdCase(c, site, FAR, log))
      }
    }
    const table = crowdTable(out, FAR)
    console.log('\n' + table + '\n')
    tables.push('### A crowd wanting one file\n\n' + table)
    const seeks: SeekResult[] = []
    const seekDirs = await seekSites(join(work, 'crowd'), tracker.url)
    for (const n of [1, 5]) {
      log(`crowd: ${n === 1 ? 'one visitor alone' : `${n} visitors at once`} seeking to the middle of a media file, origin behind ${FAR.mbit} Mbit/s shared…`)
      seeks.push(await seekCase(n, seekDirs, FAR, log))
    }
    const seekTab = seekTable(seeks, FAR)
    console.log('\n' + seekTab + '\n')
    tables.push('### A media element in the crowd seeks, then plays\n\n' + seekTab)
    await writeJson(join(results, 'crowd.json'), { machine, link: FAR, loadAverageAfter: load(), results: out, seek: seeks })
    log('written: bench/results/crowd.json')
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
console.log(`bench: ${plan.mode} plan done in ${minutes} min (abs.); load average (1 / 5 / 15 min) at the end: ${load()}`)
tables.push(`Whole run (${plan.mode} plan): ${minutes} min (abs.); load average (1 / 5 / 15 min) at the end: ${load()}.`)
// The tables of the last run, as pasted into the README's Benchmark section. A run of named parts replaces only
// their sections: the others stay as the last run of them measured them.
if (tables.length > 1) {
  const file = join(results, 'tables.md')
  const previous = asked.length > 0 ? await readFile(file, 'utf8').catch(() => '') : ''
  await writeFile(file, previous ? mergeTables(previous, tables, `Measured ${machineLine}, Chromium; ${plan.mode} plan; load average (1 / 5 / 15 min) at the start: ${loadAtStart}.`) : tables.join('\n\n') + '\n')
}
