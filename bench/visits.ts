// Items 2 and 3: one lone visitor follows the path (first visit), then opens the same pages again in the same
// browser (repeat visit), with and without planktos, runs interleaved; medians per variant. The same origin
// serves both variants with the same caching headers (`Cache-Control: no-cache`: browsers revalidate every file).
import type { RequestLogEntry } from '../integrations/cli/serve.ts'
import { median, quiet, traffic, Visitor, type Variant } from './visitor.ts'

/** A pause between pages, the same for both variants, so planktos' idle-time work happens where a reader's would. */
const DWELL_MS = 500

export interface VisitMeasure {
  /** Sum of the pages' load-event times (ms, this machine). */
  loadMs: number
  /** The first page's load-event time (ms, this machine). */
  firstPageMs: number
  /** Everything the origin sent (site files and planktos files). */
  originBytes: number
  originRequests: number
}

export interface VisitRuns { first: VisitMeasure[], repeat: VisitMeasure[] }

async function walk (v: Visitor, url: string, path: string[], log: RequestLogEntry[]): Promise<VisitMeasure> {
  const mark = log.length
  const loads: number[] = []
  for (const page of path) {
    loads.push((await v.open(url + page)).loadMs)
    await v.settle(false)
    await v.page.waitForTimeout(DWELL_MS)
  }
  await quiet(log)
  const t = traffic(v.variant, log, mark)
  return { loadMs: loads.reduce((a, b) => a + b, 0), firstPageMs: loads[0]!, originBytes: t.siteBytes + t.planktosBytes, originRequests: t.siteRequests + t.planktosRequests }
}

/** One run of one variant: a fresh browser's first visit, then its repeat visit. */
export async function visitTwice (variant: Variant, url: string, path: string[], log: RequestLogEntry[]): Promise<{ first: VisitMeasure, repeat: VisitMeasure }> {
  const v = await Visitor.start(variant)
  try {
    const first = await walk(v, url, path, log)
    const repeat = await walk(v, url, path, log)
    return { first, repeat }
  } finally {
    await v.close()
  }
}

export function medians (runs: VisitMeasure[]): VisitMeasure {
  return {
    loadMs: Math.round(median(runs.map(r => r.loadMs))),
    firstPageMs: Math.round(median(runs.map(r => r.firstPageMs))),
    originBytes: Math.round(median(runs.map(r => r.originBytes))),
    originRequests: median(runs.map(r => r.originRequests))
  }
}

/** planktos ÷ plain for each measure. */
export function ratios (ours: VisitMeasure, plain: VisitMeasure): Record<keyof VisitMeasure, number> {
  const r = (a: number, b: number): number => b === 0 ? (a === 0 ? 1 : Infinity) : +(a / b).toFixed(3)
  return { loadMs: r(ours.loadMs, plain.loadMs), firstPageMs: r(ours.firstPageMs, plain.firstPageMs), originBytes: r(ours.originBytes, plain.originBytes), originRequests: r(ours.originRequests, plain.originRequests) }
}
