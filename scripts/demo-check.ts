// The demo's headless check: visitor A browses every page, then visitor B (another browser process) does the
// same; of the site-file bytes B got after its first page, how many came from peers and how many from the origin.
// Each visitor also listens to each page's audio and video to the end (the check reads the whole file through the
// page, as playing it would): with only the metadata loaded, what a visitor has of a media file depends on how far
// its browser happened to read, and the second visitor would be measured against bytes nobody ever had.
import type { Page, Response } from 'playwright-core'
import type { RequestLogEntry } from '../integrations/cli/serve.ts'
import { connected, controlled, installed, launch, startDownloader, stats, visitor, within, type BrowserName } from '../test/helpers/browsers.ts'

/** The share of B's bytes (after its first page) that must come from peers. */
export const ENOUGH = 0.5

export interface CheckOptions {
  /** The browsers of visitors A and B; two processes, so they share nothing. Default: two Chromiums. */
  browsers?: [BrowserName, BrowserName]
  /** Called after each page a visitor loads, with the navigation's response (tests assert on it). */
  onPage?: (page: Page, path: string, visitor: 'A' | 'B', response: Response | null) => Promise<void>
}

export interface CheckResult {
  /** Bytes B's downloaders got from peers after its first page, counted at the wire. */
  peers: number
  /** Bytes of site files the origin sent B after its first page (whole files, ranges and web-seed pieces). */
  origin: number
  /** Bytes of planktos' own files (manifest, parts, torrents, runtime) the origin sent B meanwhile. */
  overhead: number
  /** peers / (peers + origin). */
  share: number
  /** B's requests for site files that reached the origin after its first page: status, bytes, range, URL. */
  originRequests: string[]
}

/** Reads each audio and video file of the page whole, through the page (so through the worker). */
async function listen (page: Page): Promise<void> {
  await within(page.evaluate(async () => {
    for (const media of document.querySelectorAll<HTMLMediaElement>('audio, video')) {
      const src = media.currentSrc || media.src
      if (src) await (await fetch(src)).arrayBuffer()
    }
  }), 'the page\'s media to be read')
}

async function withPeers (page: Page): Promise<void> {
  await installed(page)
  await startDownloader(page)
  await connected(page, 'a peer connection')
}

/** Has A and then B browse `pages` of the site at `url`; `log` is the origin's request log. */
export async function check (url: string, pages: string[], log: RequestLogEntry[], options: CheckOptions = {}): Promise<CheckResult> {
  const [nameA, nameB] = options.browsers ?? ['chromium', 'chromium']
  const onPage = options.onPage ?? (async () => {})
  const [browserA, browserB] = [await launch(nameA), await launch(nameB)]
  try {
    const A = await (await visitor(browserA)).newPage()
    await onPage(A, pages[0]!, 'A', await A.goto(url + pages[0]))
    await controlled(A)
    for (const path of pages.slice(1)) {
      await onPage(A, path, 'A', await A.goto(url + path, { waitUntil: 'load' }))
      await listen(A)
    }
    // A stays on its first page with the downloader running: it is the peer B finds (it has none until B comes).
    await A.goto(url + pages[0])
    await installed(A)
    await startDownloader(A)

    const B = await (await visitor(browserB)).newPage()
    await onPage(B, pages[0]!, 'B', await B.goto(url + pages[0]))
    await controlled(B)
    await withPeers(B)
    // Bytes from peers are counted at the wire by B's downloaders and summed by B's worker; bytes from the
    // origin at the origin's log (which also sees what B's pages fetched past the worker, such as media ranges).
    const peersBefore = (await stats(B)).worker?.downloaders.fromPeers ?? 0
    const mark = log.length
    for (const path of pages.slice(1)) {
      await onPage(B, path, 'B', await B.goto(url + path, { waitUntil: 'load' }))
      await listen(B)
      // Each page has its own downloader, which must find A again before the next navigation can use it.
      await withPeers(B)
    }
    const peers = ((await stats(B)).worker?.downloaders.fromPeers ?? 0) - peersBefore
    const after = log.slice(mark)
    if (process.env.PLANKTOS_DEMO_DEBUG) console.log(log.map((e, i) => `${i < mark ? 'A' : 'B'} ${e.status} ${e.bytes} ${e.range ?? ''} ${e.url}`).join('\n'))
    const origin = after.filter(e => !isPlanktos(e.url)).reduce((s, e) => s + e.bytes, 0)
    const overhead = after.filter(e => isPlanktos(e.url)).reduce((s, e) => s + e.bytes, 0)
    const originRequests = after.filter(e => !isPlanktos(e.url)).map(e => `${e.status} ${e.bytes} ${e.range ?? ''} ${e.url}`.replace('  ', ' '))
    return { peers, origin, overhead, share: peers + origin === 0 ? 0 : peers / (peers + origin), originRequests }
  } finally {
    await browserA.close()
    await browserB.close()
  }
}

/** The line the demo prints for one site; below ENOUGH, followed by what B asked the origin for. */
export function describe (name: string, r: CheckResult): string {
  const line = `demo check (${name}): after its first page, visitor B got ${r.peers} bytes from peers and ${r.origin} bytes of ` +
    `site files from the origin: ${(100 * r.share).toFixed(1)}% from peers (planktos files from the origin: ${r.overhead} bytes)`
  return r.share >= ENOUGH ? line : [line, '  site files B got from the origin (status, bytes, range, URL):', ...r.originRequests.map(e => '    ' + e)].join('\n')
}

function isPlanktos (url: string): boolean {
  return /\/(planktos\/|planktos-sw\.js)/.test(url)
}
