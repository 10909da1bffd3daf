// Item 1, offload: N visitors arrive one after another, each following the same path of pages, and either stay online
// (their last page open, downloader running) or leave after their visit (churn: a visitor leaves once the next one
// has made its visit, so each newcomer finds exactly one peer, the one before it; with no overlap at all there is no
// peer to find and planktos can only add its overhead). The same is done without planktos.
// Origin bytes are read from the origin's log, split by time: each visitor's span runs from its first navigation to
// the moment its last page is loaded and the origin has gone quiet (visitors do not overlap).
import type { RequestLogEntry } from '../integrations/cli/serve.ts'
import { quiet, traffic, Visitor, type OriginTraffic, type Variant } from './visitor.ts'

export interface VisitorResult {
  /** Everything of this visitor's span. */
  all: OriginTraffic
  /** Site files of its first page (and what that page loaded before the worker took over). */
  firstPage: OriginTraffic
  /** After its first page: site-file bytes from the origin, and bytes from peers. */
  afterFirst: { originSiteBytes: number, peerBytes: number, peerShare: number }
  /** The origin's log after its first page, as evidence: `status bytes range url`. */
  originLog: string[]
}

export interface OffloadRun {
  variant: Variant
  churn: boolean
  visitors: VisitorResult[]
  /** Origin site-file bytes after k visitors, k = 1..N. */
  cumulativeSiteBytes: number[]
}

export interface OffloadOptions {
  variant: Variant
  url: string
  path: string[]
  log: RequestLogEntry[]
  n: number
  churn: boolean
  progress?: (line: string) => void
}

/** Runs N visitors one after another against the origin at `url`. */
export async function offload (o: OffloadOptions): Promise<OffloadRun> {
  const online: Visitor[] = []
  const visitors: VisitorResult[] = []
  const cumulative: number[] = []
  const start = o.log.length
  try {
    for (let k = 0; k < o.n; k++) {
      const v = await Visitor.start(o.variant)
      online.push(v)
      const mark = o.log.length
      await v.open(o.url + o.path[0])
      await v.settle(k > 0)
      await quiet(o.log)
      const firstDone = o.log.length
      const peersBefore = await v.fromPeers()
      for (const page of o.path.slice(1)) {
        await v.open(o.url + page)
        await v.settle(k > 0)
      }
      await quiet(o.log)
      const peerBytes = await v.fromPeers() - peersBefore
      const after = traffic(o.variant, o.log, firstDone)
      const result: VisitorResult = {
        all: traffic(o.variant, o.log, mark),
        firstPage: traffic(o.variant, o.log, mark, firstDone),
        afterFirst: { originSiteBytes: after.siteBytes, peerBytes, peerShare: peerBytes / Math.max(1, peerBytes + after.siteBytes) },
        originLog: o.log.slice(firstDone).map(e => `${e.status} ${e.bytes}${e.range ? ` ${e.range}` : ''} ${e.url}`)
      }
      visitors.push(result)
      cumulative.push(traffic(o.variant, o.log, start).siteBytes)
      o.progress?.(`  ${o.variant}${o.churn ? ' churn' : ''} visitor ${k + 1}/${o.n} (abs.): origin ${result.all.siteBytes} B of site files, ${result.all.planktosBytes} B of planktos files; after its first page ${(100 * result.afterFirst.peerShare).toFixed(1)}% from peers`)
      // Without planktos nobody serves anybody: staying online would only cost the machine memory.
      if (o.variant === 'plain') await online.pop()!.close()
      else if (o.churn) while (online.length > 1) await online.shift()!.close()
    }
  } finally {
    for (const v of online) await v.close().catch(() => {})
  }
  return { variant: o.variant, churn: o.churn, visitors, cumulativeSiteBytes: cumulative }
}
