// Part `webkit`: a lone visitor in WebKitGTK, a browser without WebRTC, reads pages of the eleventy example site
// with and without planktos, runs interleaved, a fresh browser and profile each run. Without WebRTC planktos can
// only be the worker and the origin: it must cost no more than 1.1× the time of the plain site (issue 15). The time
// of a page is its load event (Navigation Timing), summed over the path; origin bytes come from the origin's log.
import type { RequestLogEntry } from '../integrations/cli/serve.ts'
import { WebKitBrowser, type WebKitContext } from '../test/helpers/webkit.ts'
import type { LinkSpec } from './link.ts'
import { AUDIO_PAGE, type BenchSite } from './sites.ts'
import { median, quiet, traffic, type Variant } from './visitor.ts'
import { startOrigin } from './visitors-bench.ts'

export interface WebKitWalk {
  /** Sum of the pages' load-event times (ms, this machine). */
  loadMs: number
  /** The navigations as the test harness saw them: WebDriver's navigate call, summed (ms, this machine). */
  wallMs: number
  /** Everything the origin sent: site files and planktos' own. */
  originBytes: number
  /** planktos' files among them (`planktos/…`, the worker). */
  planktosUrls: string[]
}

type Measure = 'loadMs' | 'wallMs' | 'originBytes'

export interface WebKitResult {
  site: string
  /** The origin behind this link (user-space relay), or on loopback. */
  link?: LinkSpec
  path: string[]
  runs: number
  plain: WebKitWalk[]
  planktos: WebKitWalk[]
  /** Medians, planktos ÷ plain. */
  ratio: { loadMs: number, wallMs: number, originBytes: number }
}

/** Follows `path` in a fresh WebKit visitor; the first page is a first visit (the worker installs during it). */
async function walk (browser: WebKitBrowser, variant: Variant, url: string, path: string[], log: RequestLogEntry[]): Promise<WebKitWalk> {
  const context: WebKitContext = await browser.newContext()
  const mark = log.length
  try {
    const page = await context.newPage()
    let loadMs = 0
    let wallMs = 0
    for (const p of path) {
      const started = performance.now()
      await page.goto(url + p)
      wallMs += performance.now() - started
      loadMs += await page.evaluate(() => {
        const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined
        return nav ? nav.loadEventEnd - nav.startTime : NaN
      })
      // A reader's pause, so planktos' idle-time work (storing, the worker's install) happens where it would.
      await page.waitForTimeout(500)
    }
    await quiet(log)
    const t = traffic(variant, log, mark)
    const planktosUrls = log.slice(mark).map(e => e.url).filter(u => u.includes('planktos'))
    return { loadMs: Math.round(loadMs), wallMs: Math.round(wallMs), originBytes: t.siteBytes + t.planktosBytes, planktosUrls }
  } finally {
    await context.close()
  }
}

/** Runs `runs` interleaved walks of each variant over three pages of `site` and its audio page, the origin behind `link` if given. */
export async function benchWebKit (site: BenchSite, runs: number, progress: (line: string) => void, link?: LinkSpec): Promise<WebKitResult> {
  const path = [...site.path.filter(p => p !== AUDIO_PAGE).slice(0, 3), ...site.path.includes(AUDIO_PAGE) ? [AUDIO_PAGE] : []]
  const browser = await WebKitBrowser.launch()
  const out: Record<'plain' | 'planktos', WebKitWalk[]> = { plain: [], planktos: [] }
  try {
    for (let i = 0; i < runs; i++) {
      for (const variant of ['plain', 'planktos'] as const) {
        const origin = await startOrigin(variant === 'plain' ? site.plain : site.planktos, link)
        try {
          const w = await walk(browser, variant, origin.url, path, origin.log)
          out[variant].push(w)
          progress(`  webkit${link ? ' far' : ''} ${variant} run ${i + 1}/${runs} (abs.): load events ${w.loadMs} ms, navigations ${w.wallMs} ms, ${w.originBytes} B from the origin`)
        } finally {
          await origin.close()
        }
      }
    }
  } finally {
    await browser.close()
  }
  const m = (ws: WebKitWalk[], k: Measure): number => median(ws.map(w => w[k]))
  const r = (k: Measure): number => +(m(out.planktos, k) / m(out.plain, k)).toFixed(3)
  return { site: site.name, link, path, runs, ...out, ratio: { loadMs: r('loadMs'), wallMs: r('wallMs'), originBytes: r('originBytes') } }
}

/** The side-by-side table. */
export function webkitTable (r: WebKitResult): string {
  const m = (ws: WebKitWalk[], k: Measure): number => median(ws.map(w => w[k]))
  const files = [...new Set(r.planktos.flatMap(w => w.planktosUrls))].sort().join(', ')
  return [
    `WebKitGTK without WebRTC, lone first visitor, ${r.site}: ${r.path.map(p => p || '/').join(' → ')}; origin ${r.link ? `behind ${r.link.rttMs} ms RTT and ${r.link.mbit} Mbit/s (user-space relay)` : 'on loopback'}; median of ${r.runs} runs (goal: ≤ 1.1× the time).`,
    '',
    '| | without planktos | with planktos | ratio |',
    '| --- | --- | --- | --- |',
    `| load-event time, summed (ms, this machine) | ${m(r.plain, 'loadMs')} | ${m(r.planktos, 'loadMs')} | ${r.ratio.loadMs}× |`,
    `| navigation time as WebDriver saw it, summed (ms) | ${m(r.plain, 'wallMs')} | ${m(r.planktos, 'wallMs')} | ${r.ratio.wallMs}× |`,
    `| bytes from the origin | ${m(r.plain, 'originBytes')} | ${m(r.planktos, 'originBytes')} | ${r.ratio.originBytes}× |`,
    '',
    `planktos files the origin sent: ${files || 'none'}.`
  ].join('\n')
}
