// The whole bill (issue 13): every byte the origin sends, planktos' own files, revalidations and first pages
// included, compressed as a real host sends it (bench/host.ts), with and without planktos in one run. Two visits:
// - a bouncing visitor: a fresh browser opens the front page, reads it for BOUNCE_MS and leaves; and one who reads it
//   for STAYED_MS, longer than the runtime waits before starting its downloader on a first page (install.ts, STAY);
// - six visitors reading four pages each, one after another, each staying on its last page (so it can be a peer).
// Visitors behave as readers: nothing calls `planktos.start()`; the runtime decides when its downloader loads.
import type { Browser, Page } from 'playwright-core'
import { controlled, installed, launch, stats, visitor, within } from '../test/helpers/browsers.ts'
import { startHost, type HostLogEntry } from './host.ts'
import type { BenchSite } from './sites.ts'
import { isPlanktosFile, median, quiet as quietFor, siteRequest, type Variant } from './visitor.ts'

/** How long the bouncing visitor stays on the front page (the worker installs meanwhile). */
export const BOUNCE_MS = 5000
/** A bouncing visitor who reads longer than install.ts's STAY (15 s) before leaving. */
const STAYED_MS = 20_000
/** A reader's pause between pages: idle time for planktos, the same for both variants. */
export const DWELL_MS = 2000
const VISITORS = 6
const PAGES = 4

export interface Bytes {
  /** All origin bytes on the wire: status lines, headers, bodies. */
  all: number
  /** planktos' own files (install.js, worker, downloader, manifest, parts, torrents). */
  planktos: number
  /** The same, bodies only (compressed as sent): what the issue's "≤ 16 KB compressed" counts. */
  planktosBodies: number
  requests: number
  /** planktos' own files by name (`planktos/t/*.pieces` as `piece hashes`, other `planktos/t/*` as `torrents`,
   * `planktos/p/*` as `parts`). */
  own: Record<string, number>
}

export interface BillSide {
  bounce: Bytes
  /** The same visitor reading the page for STAYED_MS. */
  bounceStayed: Bytes
  /** Six visitors × four pages: all of them, and per visitor. */
  crowd: { total: Bytes, perVisitor: Bytes[], fromPeers: number[], pageLoadMs: number[] }
}

export interface BillResult {
  site: string
  pages: string[]
  plain: BillSide
  planktos: BillSide
  /** planktos ÷ plain, all origin bytes. */
  ratio: { bounce: number, bounceStayed: number, crowd: number }
  /** The crowd's origin bytes in plain single visits of four pages (all six visitors: 6.0 without planktos). */
  crowdInPlainVisits: { plain: number, planktos: number }
  /**
   * The six visitors' first pages alone, without planktos, in the same plain visits (a bouncing visitor's bytes each):
   * no worker answers a first page, so no engine's crowd figure goes below this one.
   */
  firstPagesInPlainVisits: number
  /** The encodings the host used (Chromium offers brotli only over HTTPS, so here gzip). */
  encodings: string[]
}

function ownName (url: string): string {
  const path = url.replace(/\?.*$/, '')
  if (/\/planktos\/t\/.*\.pieces$/.test(path)) return 'piece hashes'
  if (/\/planktos\/t\//.test(path)) return 'torrents'
  if (/\/planktos\/p\//.test(path)) return 'parts'
  return path.replace(/^.*\//, '')
}

export function bytesOf (variant: Variant, log: HostLogEntry[], from: number, to = log.length): Bytes {
  const out: Bytes = { all: 0, planktos: 0, planktosBodies: 0, requests: 0, own: {} }
  for (const e of log.slice(from, to)) {
    if (!siteRequest(e)) continue
    out.all += e.wireBytes
    out.requests++
    if (!isPlanktosFile(variant, e.url)) continue
    out.planktos += e.wireBytes
    out.planktosBodies += e.bodyBytes
    const name = ownName(e.url)
    out.own[name] = (out.own[name] ?? 0) + e.wireBytes
  }
  return out
}

/** Waits until the host's log has been quiet for a second (a visit's trailing requests, 304s included, land in it). */
export const quiet = (log: HostLogEntry[]): Promise<void> => quietFor(log, 1000, 15_000)

async function open (page: Page, url: string): Promise<number> {
  await page.goto(url, { waitUntil: 'load' })
  return page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined
    return nav ? nav.loadEventEnd - nav.startTime : NaN
  })
}

/** What a page does while its reader reads: with planktos, the worker installs and takes control. */
async function read (page: Page, variant: Variant, ms: number): Promise<void> {
  if (variant === 'planktos') {
    await installed(page)
    await controlled(page)
  }
  await page.waitForTimeout(ms)
}

async function bounce (browser: Browser, variant: Variant, url: string, log: HostLogEntry[], ms: number): Promise<Bytes> {
  const context = await visitor(browser)
  const mark = log.length
  try {
    const page = await context.newPage()
    await open(page, url)
    await read(page, variant, ms)
    await quiet(log)
    return bytesOf(variant, log, mark)
  } finally {
    await within(context.close(), 'a visitor to leave')
  }
}

async function crowd (browser: Browser, variant: Variant, url: string, path: string[], log: HostLogEntry[]): Promise<BillSide['crowd']> {
  const perVisitor: Bytes[] = []
  const fromPeers: number[] = []
  const pageLoadMs: number[] = []
  const contexts = []
  const mark = log.length
  try {
    for (let v = 0; v < VISITORS; v++) {
      const context = await visitor(browser)
      contexts.push(context)
      const page = await context.newPage()
      const start = log.length
      for (const p of path) {
        pageLoadMs.push(await open(page, url + p))
        await read(page, variant, DWELL_MS)
      }
      await quiet(log)
      perVisitor.push(bytesOf(variant, log, start))
      fromPeers.push(variant === 'planktos' ? (await stats(page)).worker?.downloaders.fromPeers ?? 0 : 0)
    }
    return { total: bytesOf(variant, log, mark), perVisitor, fromPeers, pageLoadMs }
  } finally {
    for (const c of contexts) await within(c.close(), 'a visitor to leave')
  }
}

/** Both visits on one site, plain then planktos, each against its own host; one browser process per variant. */
export async function billSite (site: BenchSite, log: (line: string) => void): Promise<BillResult> {
  const pages = site.path.slice(0, PAGES)
  const sides: Partial<Record<'plain' | 'planktos', BillSide>> = {}
  const encodings = new Set<string>()
  for (const variant of ['plain', 'planktos'] as const) {
    const host = await startHost(variant === 'plain' ? site.plain : site.planktos)
    const browser = await launch('chromium')
    try {
      const b = await bounce(browser, variant, host.url, host.log, BOUNCE_MS)
      log(`  ${site.name} ${variant}: bounce (${BOUNCE_MS / 1000} s) ${b.all} B (planktos' own ${b.planktos} B) in ${b.requests} requests`)
      const stayed = await bounce(browser, variant, host.url, host.log, STAYED_MS)
      log(`  ${site.name} ${variant}: bounce (${STAYED_MS / 1000} s) ${stayed.all} B (planktos' own ${stayed.planktos} B) in ${stayed.requests} requests`)
      const c = await crowd(browser, variant, host.url, pages, host.log)
      log(`  ${site.name} ${variant}: ${VISITORS} visitors × ${pages.length} pages ${c.total.all} B (planktos' own ${c.total.planktos} B) in ${c.total.requests} requests; from peers per visitor ${c.fromPeers.join(', ')}`)
      sides[variant] = { bounce: b, bounceStayed: stayed, crowd: c }
      for (const e of host.log) if (e.encoding) encodings.add(e.encoding)
    } finally {
      await within(browser.close(), 'the browser to close')
      await host.close()
    }
  }
  const plain = sides.plain!
  const planktos = sides.planktos!
  const r = (a: number, b: number): number => +(a / b).toFixed(2)
  // One plain visit of the four pages: the median of the six plain visitors.
  const plainVisit = median(plain.crowd.perVisitor.map(v => v.all))
  return {
    site: site.name,
    pages,
    plain,
    planktos,
    ratio: { bounce: r(planktos.bounce.all, plain.bounce.all), bounceStayed: r(planktos.bounceStayed.all, plain.bounceStayed.all), crowd: r(planktos.crowd.total.all, plain.crowd.total.all) },
    crowdInPlainVisits: { plain: r(plain.crowd.total.all, plainVisit), planktos: r(planktos.crowd.total.all, plainVisit) },
    firstPagesInPlainVisits: r(6 * plain.bounce.all, plainVisit),
    encodings: [...encodings]
  }
}

const kb = (n: number): string => (n / 1000).toFixed(1)

/** The bill table: the full-accounting ratio first. */
export function billTable (results: BillResult[]): string {
  const encodings = [...new Set(results.flatMap(r => r.encodings))].join(', ')
  const rows = [
    `All origin bytes on the wire (headers included), the host compressing as nginx does (here: ${encodings}); Chromium; ratio = with ÷ without planktos.`,
    '',
    `| site | bouncing visitor (${BOUNCE_MS / 1000} s): ratio | with / without (KB) | planktos' own (KB) | bouncing after ${STAYED_MS / 1000} s: ratio | 6 visitors × 4 pages: ratio | in plain 4-page visits: with / without (their first pages alone) | planktos' own (KB) | page load median with / without (ms) |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |'
  ]
  for (const x of results) {
    const own = Object.entries(x.planktos.bounce.own).map(([k, v]) => `${k} ${kb(v)}`).join(', ')
    rows.push(`| ${x.site} | **${x.ratio.bounce}×** | ${kb(x.planktos.bounce.all)} / ${kb(x.plain.bounce.all)} | ${kb(x.planktos.bounce.planktos)}, bodies ${kb(x.planktos.bounce.planktosBodies)} (${own}) | ${x.ratio.bounceStayed}× (${kb(x.planktos.bounceStayed.all)} / ${kb(x.plain.bounceStayed.all)}) | **${x.ratio.crowd}×** | ${x.crowdInPlainVisits.planktos} / ${x.crowdInPlainVisits.plain} (${x.firstPagesInPlainVisits}) | ${kb(x.planktos.crowd.total.planktos)} | ${Math.round(median(x.planktos.crowd.pageLoadMs))} / ${Math.round(median(x.plain.crowd.pageLoadMs))} |`)
  }
  return rows.join('\n')
}

