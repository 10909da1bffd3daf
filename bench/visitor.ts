// One benchmark visitor: its own Chromium process with a fresh profile, following a fixed path of pages. What the
// origin sent is read from the origin's request log; what came from peers from the page's own planktos counters.
import type { Browser, Page } from 'playwright-core'
import type { RequestLogEntry } from '../integrations/cli/serve.ts'
import { controlled, installed, launch, startDownloader, stats, visitor, within } from '../test/helpers/browsers.ts'

export type Variant = 'plain' | 'planktos' | 'planktos-2017'

/** What the origin sent during a span of the log, split into the site's files and planktos' own. */
export interface OriginTraffic {
  siteBytes: number
  siteRequests: number
  planktosBytes: number
  planktosRequests: number
}

export interface PageLoad {
  url: string
  /** Navigation start to the end of the load event, from the page's Navigation Timing (ms, this machine). */
  loadMs: number
}

/** Whether a logged URL is one of planktos' own files; the 2017 planktos serves site files under planktos/files/. */
export function isPlanktosFile (variant: Variant, url: string): boolean {
  if (variant === 'planktos-2017') return /^\/(planktos\/(?!files\/)|planktos\.sw\.js)/.test(url)
  return /^\/(planktos\/|planktos-sw\.js)/.test(url)
}

/** Chromium's own /favicon.ico probe is the same with and without planktos and no part of either site: never counted. */
export const siteRequest = (e: { url: string }): boolean => e.url !== '/favicon.ico'

/** Sums the origin's log from entry `from` to entry `to` (site requests only: siteRequest). */
export function traffic (variant: Variant, log: RequestLogEntry[], from: number, to = log.length): OriginTraffic {
  const out: OriginTraffic = { siteBytes: 0, siteRequests: 0, planktosBytes: 0, planktosRequests: 0 }
  for (const e of log.slice(from, to)) {
    if (!siteRequest(e)) continue
    if (isPlanktosFile(variant, e.url)) { out.planktosBytes += e.bytes; out.planktosRequests++ } else { out.siteBytes += e.bytes; out.siteRequests++ }
  }
  return out
}

export class Visitor {
  readonly browser: Browser
  readonly page: Page
  readonly variant: Variant

  private constructor (browser: Browser, page: Page, variant: Variant) {
    this.browser = browser
    this.page = page
    this.variant = variant
  }

  /** Starts a browser process with a fresh profile. */
  static async start (variant: Variant): Promise<Visitor> {
    const browser = await launch('chromium')
    const page = await (await visitor(browser)).newPage()
    return new Visitor(browser, page, variant)
  }

  /** Navigates to `url` and waits for its load event; returns the page's own load time. */
  async open (url: string, timeout = 30_000): Promise<PageLoad> {
    await this.page.goto(url, { waitUntil: 'load', timeout })
    const loadMs = await this.page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined
      return nav ? nav.loadEventEnd - nav.startTime : NaN
    })
    return { url, loadMs }
  }

  /**
   * What a reader does between pages with planktos: the worker takes control after the first page and the
   * downloader starts (it would on idle); with `peers`, waits until it is connected to one, up to `maxWaitMs`.
   */
  async settle (peers: boolean, maxWaitMs = 10_000): Promise<void> {
    if (this.variant !== 'planktos') return
    await installed(this.page)
    await controlled(this.page)
    await startDownloader(this.page)
    if (!peers) return
    const until = Date.now() + maxWaitMs
    while (Date.now() < until && ((await stats(this.page)).downloader?.peers ?? 0) === 0) await this.page.waitForTimeout(100)
  }

  /** Bytes this visitor's downloaders got from peers so far (0 without planktos). */
  async fromPeers (): Promise<number> {
    if (this.variant !== 'planktos') return 0
    return (await stats(this.page)).worker?.downloaders.fromPeers ?? 0
  }

  close (): Promise<void> {
    return within(this.browser.close(), 'the browser to close')
  }
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

/** Waits until the origin's log has been quiet for `quietMs` (trailing requests of a page land in its span). */
export async function quiet (log: readonly unknown[], quietMs = 300, maxMs = 5000): Promise<void> {
  const end = Date.now() + maxMs
  let n = log.length
  let since = Date.now()
  while (Date.now() < end) {
    await new Promise(resolve => setTimeout(resolve, 50))
    if (log.length !== n) { n = log.length; since = Date.now() } else if (Date.now() - since >= quietMs) return
  }
}
