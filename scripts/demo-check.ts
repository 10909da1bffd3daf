// The demo's headless check: visitor A browses every page, then visitor B (another browser process) does the
// same; of the site-file bytes B got after its first page, how many came from peers and how many from the origin.
import type { Page } from 'playwright-core'
import type { RequestLogEntry } from '../integrations/cli/serve.ts'
import { controlled, installed, launch, stats, visitor, within } from '../test/helpers/browsers.ts'

const start = (page: Page): Promise<void> =>
  within(page.evaluate(() => (window as unknown as { planktos: { start (): Promise<void> } }).planktos.start()), 'the downloader to start')

async function withPeers (page: Page): Promise<void> {
  await installed(page)
  await start(page)
  await within((async () => {
    while (((await stats(page)).downloader?.peers ?? 0) === 0) await page.waitForTimeout(100)
  })(), 'a peer connection')
}

/** Returns whether at least half of B's bytes after its first page came from peers. */
export async function check (name: string, url: string, pages: string[], log: RequestLogEntry[]): Promise<boolean> {
  const [browserA, browserB] = [await launch('chromium'), await launch('chromium')]
  try {
    const A = await (await visitor(browserA)).newPage()
    await A.goto(url)
    await controlled(A)
    for (const path of pages) await A.goto(url + path, { waitUntil: 'load' })
    // A stays on its first page with the downloader running: it is the peer B finds.
    await A.goto(url)
    await withPeersOrAlone(A)

    const B = await (await visitor(browserB)).newPage()
    // Every site file B's pages receive, split at the end of its first page: a file it already had costs nobody.
    const had = new Set<string>()
    const received = new Map<string, number>()
    let firstPage = true
    B.on('response', response => {
      const path = new URL(response.url()).pathname
      if (isPlanktos(path)) return
      if (firstPage) had.add(path)
      else if (!had.has(path)) void response.body().then(b => received.set(path, b.length), () => {})
    })
    await B.goto(url)
    await controlled(B)
    await withPeers(B)
    firstPage = false
    const mark = log.length
    for (const path of pages.slice(1)) {
      await B.goto(url + path, { waitUntil: 'load' })
      await withPeers(B)
    }
    // Site files only: planktos' own files (manifest, torrents, runtime) are the fixed overhead, reported apart.
    const after = log.slice(mark)
    const origin = after.filter(e => !isPlanktos(e.url)).reduce((s, e) => s + e.bytes, 0)
    const overhead = after.filter(e => isPlanktos(e.url)).reduce((s, e) => s + e.bytes, 0)
    const total = [...received.values()].reduce((s, n) => s + n, 0)
    // What B's pages received and the origin did not send, B's worker got from peers (its store was empty of them).
    const peers = Math.max(0, total - origin)
    const share = total === 0 ? 0 : peers / total
    if (process.env.PLANKTOS_DEMO_DEBUG) console.log(after.map(e => `${e.status} ${e.bytes} ${e.range ?? ""} ${e.url}`).join("\n"), [...received])
    console.log(`demo check (${name}): after its first page, visitor B's pages received ${total} bytes of site files: ${peers} from peers, ${origin} from the origin: ${(100 * share).toFixed(1)}% from peers (planktos files from the origin: ${overhead} bytes)`)
    return share >= 0.5
  } finally {
    await browserA.close()
    await browserB.close()
  }
}

/** A waits for the downloader to start; it has no peer until B arrives. */
async function withPeersOrAlone (page: Page): Promise<void> {
  await installed(page)
  await start(page)
}

function isPlanktos (url: string): boolean {
  return /\/(planktos\/|planktos-sw\.js)/.test(url)
}
