// Items 1–4 for every site: offload (N visitors staying online, and with churn), first and repeat visits, each
// with and without planktos against the same static server; with `far`, the origin sits behind the slow link.
import { serve, type RequestLogEntry } from '../integrations/cli/serve.ts'
import { startLink, type LinkSpec } from './link.ts'
import { offload, type OffloadRun } from './offload.ts'
import { AUDIO_PAGE, type BenchSite } from './sites.ts'
import { medians, ratios, visitTwice, type VisitMeasure, type VisitRuns } from './visits.ts'
import type { Variant } from './visitor.ts'

export interface Origin { url: string, log: RequestLogEntry[], close (): Promise<void> }

/** The static server on `dir`, optionally behind the emulated far link. */
export async function startOrigin (dir: string, link?: LinkSpec): Promise<Origin> {
  const log: RequestLogEntry[] = []
  const server = await serve({ dir, port: 0, onRequest: e => log.push(e) })
  if (!link) return { url: server.url, log, close: () => server.close() }
  const relay = await startLink(server.port, link)
  return { url: `http://127.0.0.1:${relay.port}/`, log, close: async () => { await relay.close(); await server.close() } }
}

export interface PathResult {
  site: string
  label: string
  /** Which path: every page, or every page but the audio one. */
  path: string[]
  n: number
  /** Site-file bytes of one plain visit of the path: the median of the N plain visitors (media requests vary). */
  plainVisitBytes: number
  runs: OffloadRun[]
  summary: OffloadSummary
}

export interface OffloadSummary {
  /** Origin site-file bytes of all N planktos visitors ÷ one plain visit (stay online / churn). */
  siteBytesInPlainVisits: { online: number, churn: number, plain: number }
  /** The same, leaving out visitors 2..N's first pages (loaded before the worker controls them: per-visitor overhead). */
  siteBytesAfterFirstPagesInPlainVisits: { online: number, churn: number }
  /** Peer bytes ÷ all bytes after each visitor's first page, over visitors 2..N, next to (N−1)/N. */
  peerEfficiency: { online: number, churn: number, limit: number }
  /** Per visitor, as measured: first page's site files, and planktos' own files (runtime, manifest, parts, torrents). */
  overheadPerVisitor: { firstPageSiteBytes: number, planktosBytes: number, planktosRequests: number }
}

function summarize (runs: OffloadRun[], n: number): { plainVisitBytes: number, summary: OffloadSummary } {
  const pick = (variant: Variant, churn: boolean): OffloadRun => runs.find(r => r.variant === variant && r.churn === churn)!
  const plain = pick('plain', false)
  const online = pick('planktos', false)
  const churn = pick('planktos', true)
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const plainVisitBytes = median(plain.visitors.map(v => v.all.siteBytes))
  const total = (r: OffloadRun): number => r.cumulativeSiteBytes.at(-1)!
  const laterFirstPages = (r: OffloadRun): number => r.visitors.slice(1).reduce((s, v) => s + v.firstPage.siteBytes, 0)
  const efficiency = (r: OffloadRun): number => {
    const later = r.visitors.slice(1)
    const peers = later.reduce((s, v) => s + v.afterFirst.peerBytes, 0)
    const origin = later.reduce((s, v) => s + v.afterFirst.originSiteBytes, 0)
    // Over all N visitors' bytes after their first pages: the first visitor has no peer, hence the (N−1)/N limit.
    const first = r.visitors[0]!.afterFirst.originSiteBytes
    return +(peers / Math.max(1, peers + origin + first)).toFixed(3)
  }
  const q = (x: number): number => +(x / plainVisitBytes).toFixed(3)
  return {
    plainVisitBytes,
    summary: {
      siteBytesInPlainVisits: { online: q(total(online)), churn: q(total(churn)), plain: q(total(plain)) },
      siteBytesAfterFirstPagesInPlainVisits: { online: q(total(online) - laterFirstPages(online)), churn: q(total(churn) - laterFirstPages(churn)) },
      peerEfficiency: { online: efficiency(online), churn: efficiency(churn), limit: +((n - 1) / n).toFixed(3) },
      overheadPerVisitor: {
        firstPageSiteBytes: median(online.visitors.map(v => v.firstPage.siteBytes)),
        planktosBytes: median(online.visitors.map(v => v.all.planktosBytes)),
        planktosRequests: median(online.visitors.map(v => v.all.planktosRequests))
      }
    }
  }
}

/** Item 1 on one site and path: plain, planktos staying online, planktos with churn. */
export async function offloadSite (site: BenchSite, label: string, path: string[], n: number, link: LinkSpec | undefined, log: (line: string) => void): Promise<PathResult> {
  const runs: OffloadRun[] = []
  for (const [variant, churn] of [['plain', false], ['planktos', false], ['planktos', true]] as Array<[Variant, boolean]>) {
    const origin = await startOrigin(variant === 'plain' ? site.plain : site.planktos, link)
    try {
      runs.push(await offload({ variant, churn, url: origin.url, path, log: origin.log, n, progress: log }))
    } finally {
      await origin.close()
    }
  }
  return { site: site.name, label, path, n, runs, ...summarize(runs, n) }
}

/** The paths measured on a site: every page, and for the example sites also every page but the audio one. */
export function pathsOf (site: BenchSite): Array<{ label: string, path: string[] }> {
  const paths = [{ label: site.name, path: site.path }]
  if (site.path.includes(AUDIO_PAGE)) paths.push({ label: `${site.name} (no audio page)`, path: site.path.filter(p => p !== AUDIO_PAGE) })
  return paths
}

export interface VisitResult {
  site: string
  label: string
  runs: number
  raw: Record<'plain' | 'planktos', VisitRuns>
  first: { plain: VisitMeasure, planktos: VisitMeasure, ratio: Record<keyof VisitMeasure, number> }
  repeat: { plain: VisitMeasure, planktos: VisitMeasure, ratio: Record<keyof VisitMeasure, number> }
}

/** Items 2 and 3 on one site: `runs` runs of each variant, interleaved, each with its own origin and browser. */
export async function visitSite (site: BenchSite, label: string, path: string[], runs: number, link: LinkSpec | undefined, log: (line: string) => void): Promise<VisitResult> {
  const raw: VisitResult['raw'] = { plain: { first: [], repeat: [] }, planktos: { first: [], repeat: [] } }
  for (let i = 0; i < runs; i++) {
    for (const variant of ['plain', 'planktos'] as const) {
      const origin = await startOrigin(variant === 'plain' ? site.plain : site.planktos, link)
      try {
        const r = await visitTwice(variant, origin.url, path, origin.log)
        raw[variant].first.push(r.first)
        raw[variant].repeat.push(r.repeat)
        log(`  ${label} run ${i + 1}/${runs} ${variant} (abs.): first ${r.first.loadMs.toFixed(0)} ms, ${r.first.originBytes} B in ${r.first.originRequests} requests; repeat ${r.repeat.loadMs.toFixed(0)} ms, ${r.repeat.originBytes} B in ${r.repeat.originRequests} requests`)
      } finally {
        await origin.close()
      }
    }
  }
  const side = (k: 'first' | 'repeat'): VisitResult['first'] => {
    const plain = medians(raw.plain[k])
    const planktos = medians(raw.planktos[k])
    return { plain, planktos, ratio: ratios(planktos, plain) }
  }
  return { site: site.name, label, runs, raw, first: side('first'), repeat: side('repeat') }
}
