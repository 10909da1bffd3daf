// The bill's population (issue 13): 20 visitors on the median-weight site (median-site.ts), one after another, half of
// them bouncing, the rest reading 2–6 pages, and a third of them coming back after a redeploy (the next day: none of
// the first day's tabs is still open), with and without planktos, every origin byte counted (host.ts). A seed fixes
// who does what, so both variants see the same visits. A visitor's tab stays open while the next OPEN - 1 visitors
// come (it can be their peer), then it leaves; a returning visitor keeps its browser profile (HTTP cache, worker,
// store). Goal: all origin bytes with planktos ≤ 0.5× without.
import { cp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { build } from '../integrations/builder/index.ts'
import { controlled, installed, launch, stats, visitor, within } from '../test/helpers/browsers.ts'
import { BOUNCE_MS, bytesOf, DWELL_MS, quiet, type Bytes } from './bill.ts'
import { startHost, type HostLogEntry } from './host.ts'
import { makeMedianSite, PAGES, pageUrl, random, stamp } from './median-site.ts'
import { siteRequest, type Variant } from './visitor.ts'

const VISITORS = 20
const SEED = 13
/** Tabs open at once: a visitor and the three before it. */
const OPEN = 4
/** Hashed assets as a real host sends them, and planktos' content-named torrents and parts (docs/deploying.md). */
const IMMUTABLE = /^\/(_assets|planktos\/t|planktos\/p)\//

export interface Visit {
  visitor: number
  /** Page indices in reading order; one page for a bounce. */
  pages: number[]
  returning: boolean
}

type Group = 'bounce' | 'read' | 'returning'

export interface PopulationSide {
  total: Bytes
  groups: Record<Group, Bytes>
  /** Bytes the visitors' workers got from peers (0 without planktos). */
  fromPeers: number
  /** Pages where planktos did not start (install.js did not run, or the worker never took control). */
  problems: string[]
  /** Each visit's bytes, in the order of the visits. */
  perVisit: Bytes[]
  /** First-time visitors' first pages (with planktos: with the worker's install): no worker answers them. */
  firstPages: Bytes
  /**
   * The first day's bytes after each visitor's first page, split by whether a tab open at the time (another visitor
   * who read on, so whose store holds what it loaded) had loaded the same URL: `held` is the most peers could have
   * answered, `unheld` what any engine must fetch from the origin (peers do not have it).
   */
  later: { held: number, unheld: number }
}

export interface PopulationResult {
  seed: number
  visits: Visit[]
  plain: PopulationSide
  planktos: PopulationSide
  /** With ÷ without, all origin bytes: overall and per group. */
  ratio: Record<Group | 'total', number>
}

/** Who does what, from the seed: the first day's 20 visits, then the returning third's visits after the redeploy. */
export function plan (seed = SEED): Visit[] {
  const next = random(seed)
  const pick = (n: number): number => Math.floor(next() * n)
  const shuffled = Array.from({ length: VISITORS }, (_, i) => i).sort(() => next() - 0.5)
  const bouncers = new Set(shuffled.slice(0, VISITORS / 2))
  const returners = shuffled.filter((_, k) => k % 3 === 0)
  const walk = (length: number): number[] => {
    // Half the visits enter at the home page, the rest at an inner page (a search result, a shared link).
    const pages = [next() < 0.5 ? 0 : 1 + pick(PAGES - 1)]
    while (pages.length < length) {
      const p = pick(PAGES)
      if (!pages.includes(p)) pages.push(p)
    }
    return pages
  }
  const first = Array.from({ length: VISITORS }, (_, v) => ({ visitor: v, pages: walk(bouncers.has(v) ? 1 : 2 + pick(5)), returning: false }))
  const second = returners.sort((a, b) => a - b).map(v => ({ visitor: v, pages: walk(1 + pick(3)), returning: true }))
  return [...first, ...second]
}

const groupOf = (v: Visit): Group => v.returning ? 'returning' : v.pages.length === 1 ? 'bounce' : 'read'

/** Reads a page for `ms`; with planktos, first waits for its worker. Returns a problem seen, if any. */
async function read (page: Page, variant: Variant, ms: number): Promise<string | undefined> {
  let problem: string | undefined
  if (variant === 'planktos') {
    // A page where planktos never starts is a finding to print, not a reason to drop the run's other visits.
    problem = await installed(page).then(() => controlled(page)).then(() => undefined, () => 'planktos did not start within 29 s')
  }
  await page.waitForTimeout(ms)
  return problem
}

async function peersSoFar (page: Page, variant: Variant): Promise<number> {
  return variant === 'planktos' ? (await stats(page)).worker?.downloaders.fromPeers ?? 0 : 0
}

async function side (variant: Variant, deploys: [string, string], served: string, visits: Visit[], log: (line: string) => void): Promise<PopulationSide> {
  await rm(served, { recursive: true, force: true })
  await cp(deploys[0], served, { recursive: true, preserveTimestamps: true })
  const host = await startHost(served, IMMUTABLE)
  const browser = await launch('chromium')
  const contexts = new Map<number, BrowserContext>()
  const open: Array<{ page: Page, visit: Visit }> = []
  const peersBefore = new Map<number, number>()
  const out: PopulationSide = { total: bytesOf(variant, [], 0), groups: { bounce: bytesOf(variant, [], 0), read: bytesOf(variant, [], 0), returning: bytesOf(variant, [], 0) }, fromPeers: 0, problems: [], perVisit: [], firstPages: bytesOf(variant, [], 0), later: { held: 0, unheld: 0 } }
  /** The URLs each reading tab loaded, while it is open. */
  const loaded = new Map<Visit, Set<string>>()
  const leave = async (tab: { page: Page, visit: Visit }): Promise<void> => {
    const got = await peersSoFar(tab.page, variant).catch(() => peersBefore.get(tab.visit.visitor) ?? 0)
    out.fromPeers += got - (peersBefore.get(tab.visit.visitor) ?? 0)
    peersBefore.set(tab.visit.visitor, got)
    await within(tab.page.close(), 'a tab to close')
  }
  const add = (into: Bytes, b: Bytes): void => {
    into.all += b.all
    into.planktos += b.planktos
    into.planktosBodies += b.planktosBodies
    into.requests += b.requests
    for (const [k, n] of Object.entries(b.own)) into.own[k] = (into.own[k] ?? 0) + n
  }
  // Each visitor has its own front (host.front): its bytes are its own requests, also those its open tabs make while
  // later visitors read (a bouncer's downloader starting 15 s in, say), which a time window would charge to them.
  const fronts = new Map<number, string>()
  const own = (visitor: number, from: number, to: number): HostLogEntry[] => host.log.slice(from, to).filter(e => e.tag === String(visitor))
  /** Where in the log each visit started and where its first page ended; its day's end is known only at the end. */
  const spans: Array<{ visit: Visit, from: number, firstTo: number }> = []
  let dayTwo = Infinity
  try {
    let redeployed = false
    for (const visit of visits) {
      if (visit.returning && !redeployed) {
        // A day later: every tab of the first day is closed, and the site has been redeployed.
        while (open.length > 0) await leave(open.shift()!)
        await quiet(host.log)
        await rm(served, { recursive: true, force: true })
        await cp(deploys[1], served, { recursive: true, preserveTimestamps: true })
        redeployed = true
        dayTwo = host.log.length
      }
      const context = contexts.get(visit.visitor) ?? await visitor(browser)
      contexts.set(visit.visitor, context)
      const url = fronts.get(visit.visitor) ?? await host.front(String(visit.visitor))
      fronts.set(visit.visitor, url)
      const page = await context.newPage()
      const mark = host.log.length
      let firstTo = mark
      for (const [k, p] of visit.pages.entries()) {
        // A page that does not load is a finding too (printed and listed), and the visit goes on as a visitor's would.
        const failed = await page.goto(url + pageUrl(p), { waitUntil: 'load' }).then(() => undefined, (e: Error) => `did not load: ${e.message.split('\n')[0]}`)
        const problem = failed ?? await read(page, variant, visit.pages.length === 1 ? BOUNCE_MS : DWELL_MS)
        if (problem) {
          out.problems.push(`visitor ${visit.visitor}${visit.returning ? ' (returning)' : ''}, page ${p}: ${problem}`)
          log(`  median ${variant}: ${out.problems.at(-1)}`)
        }
        if (k === 0) firstTo = host.log.length
      }
      await quiet(host.log)
      spans.push({ visit, from: mark, firstTo })
      // What a reading tab loaded, for the later visitors' `held` split below.
      if (!visit.returning && visit.pages.length > 1) loaded.set(visit, new Set(own(visit.visitor, mark, host.log.length).map(e => e.url)))
      if (!visit.returning) {
        const held = new Set(open.flatMap(tab => [...loaded.get(tab.visit) ?? []]))
        for (const e of visit.pages.length === 1 ? [] : own(visit.visitor, firstTo, host.log.length)) {
          if (!siteRequest(e)) continue
          if (held.has(e.url)) out.later.held += e.wireBytes
          else out.later.unheld += e.wireBytes
        }
      }
      const so = bytesOf(variant, own(visit.visitor, mark, host.log.length), 0)
      log(`  median ${variant}: visitor ${visit.visitor}${visit.returning ? ' (returning)' : ''}, pages ${visit.pages.join(' ')}: ${so.all} B so far (planktos' own ${so.planktos} B)`)
      open.push({ page, visit })
      if (open.length >= OPEN) await leave(open.shift()!)
    }
    while (open.length > 0) await leave(open.shift()!)
    await quiet(host.log)
    // Each visit is charged with all its visitor's requests of that day, to the last one its tab made.
    for (const { visit, from, firstTo } of spans) {
      const end = visit.returning ? host.log.length : Math.min(dayTwo, host.log.length)
      const b = bytesOf(variant, own(visit.visitor, from, end), 0)
      add(out.groups[groupOf(visit)], b)
      add(out.total, b)
      out.perVisit.push(b)
      if (!visit.returning) add(out.firstPages, bytesOf(variant, own(visit.visitor, from, visit.pages.length === 1 ? end : firstTo), 0))
    }
    // Every byte the host sent went through some visitor's front; anything else would be missing from the total.
    const stray = bytesOf(variant, host.log.filter(e => e.tag === undefined), 0)
    if (stray.requests > 0) out.problems.push(`${stray.requests} requests (${stray.all} B) reached the host outside any visitor's front`)
    add(out.total, stray)
    return out
  } finally {
    for (const c of contexts.values()) await within(c.close(), 'a visitor to leave')
    await within(browser.close(), 'the browser to close')
    await host.close()
  }
}

/** Generates both deploys of the median site, plain and packed for `tracker`, under `work`, and runs the population on each. */
export async function billPopulation (work: string, tracker: string, log: (line: string) => void): Promise<PopulationResult> {
  const dirs = { plain: [join(work, 'median-1-plain'), join(work, 'median-2-plain')], planktos: [join(work, 'median-1-planktos'), join(work, 'median-2-planktos')] } as const
  for (const [i, deploy] of ([1, 2] as const).entries()) {
    await makeMedianSite(dirs.plain[i]!, SEED, deploy)
    await rm(dirs.planktos[i]!, { recursive: true, force: true })
    await cp(dirs.plain[i]!, dirs.planktos[i]!, { recursive: true, preserveTimestamps: true })
    const result = await build(dirs.planktos[i]!, { announce: [tracker], rtcConfig: { iceServers: [] } })
    if (!result.manifest) throw new Error(`bench: planktos built the median site without a manifest: ${result.warnings.join(' ')}`)
    await stamp(dirs.planktos[i]!)
  }
  const visits = plan()
  const plain = await side('plain', [dirs.plain[0], dirs.plain[1]], join(work, 'median-served-plain'), visits, log)
  const planktos = await side('planktos', [dirs.planktos[0], dirs.planktos[1]], join(work, 'median-served-planktos'), visits, log)
  const r = (a: Bytes, b: Bytes): number => +(a.all / b.all).toFixed(2)
  return {
    seed: SEED,
    visits,
    plain,
    planktos,
    ratio: { total: r(planktos.total, plain.total), bounce: r(planktos.groups.bounce, plain.groups.bounce), read: r(planktos.groups.read, plain.groups.read), returning: r(planktos.groups.returning, plain.groups.returning) }
  }
}

const mb = (n: number): string => (n / 1e6).toFixed(2)

/**
 * What peers could have saved at most, from the plain run (the same visits): first-time visitors' first pages come
 * from the origin whatever the engine does, and a later page's bytes only from a peer that had loaded them.
 */
function reach (x: PopulationResult): string {
  const { plain, planktos } = x
  const firstDay = (s: PopulationSide): number => s.groups.bounce.all + s.groups.read.all
  const { held, unheld } = plain.later
  const best = (firstDay(plain) - held) / firstDay(plain)
  return `Within peers' reach (the plain run's first day, ${mb(firstDay(plain))} MB): first-time visitors' first pages ${mb(plain.firstPages.all)} MB (${(plain.firstPages.all / plain.total.all).toFixed(2)}× the plain total of all visits by themselves; no worker answers them), later pages ${mb(held + unheld)} MB, of which ${mb(held)} MB had been loaded by a tab open at the time (another visitor's who read on) and ${mb(unheld)} MB by none (no peer can have those). With peers answering all ${mb(held)} MB and planktos' own files free, the first day would cost ${best.toFixed(2)}× without planktos; measured with planktos: ${(firstDay(planktos) / firstDay(plain)).toFixed(2)}×.`
}

/** The population's table: with and without planktos side by side, per group and in all. */
export function populationTable (x: PopulationResult): string {
  const count = (g: Group): number => x.visits.filter(v => groupOf(v) === g).length
  const pages = (g: Group): number => x.visits.filter(v => groupOf(v) === g).reduce((s, v) => s + v.pages.length, 0)
  const row = (label: string, g: Group | 'total'): string => {
    const a = g === 'total' ? x.planktos.total : x.planktos.groups[g]
    const b = g === 'total' ? x.plain.total : x.plain.groups[g]
    return `| ${label} | **${x.ratio[g]}×** | ${mb(a.all)} / ${mb(b.all)} | ${mb(a.planktos)} |`
  }
  return [
    `Median-weight site (${PAGES} pages: home ~2.7 MB, inner ~1.9 MB; hashed assets and planktos' torrents and parts \`immutable\`), ${x.visits.length} visits by ${VISITORS} visitors (seed ${x.seed}), a redeploy between the first day and the returning visitors; all origin bytes on the wire; ratio = with ÷ without planktos (goal ≤ 0.5× in all). From peers with planktos: ${mb(x.planktos.fromPeers)} MB.`,
    '',
    '| visits | ratio | with / without (MB) | planktos\' own (MB) |',
    '| --- | --- | --- | --- |',
    row(`all ${x.visits.length}`, 'total'),
    row(`${count('bounce')} bouncing (1 page)`, 'bounce'),
    row(`${count('read')} reading (${pages('read')} pages)`, 'read'),
    row(`${count('returning')} returning after the redeploy (${pages('returning')} pages)`, 'returning'),
    '',
    reach(x),
    ...x.planktos.problems.length > 0 ? ['', `With planktos, pages that did not load within 30 s or on which planktos did not start within 29 s (either way, not as they load without planktos, so their rows are no fair comparison): ${x.planktos.problems.join('; ')}.`] : [],
    ...x.plain.problems.length > 0 ? ['', `Without planktos, pages that did not load: ${x.plain.problems.join('; ')}.`] : []
  ].join('\n')
}
