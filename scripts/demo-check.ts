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
    await B.goto(url)
    await controlled(B)
    await withPeers(B)
    // Bytes from peers are counted at the wire by B's downloaders and summed by B's worker; bytes from the
    // origin at the origin's log (which also sees what B's pages fetched past the worker, such as media ranges).
    const peersBefore = (await stats(B)).worker?.downloaders.fromPeers ?? 0
    const mark = log.length
    for (const path of pages.slice(1)) {
      await B.goto(url + path, { waitUntil: 'load' })
      await withPeers(B)
    }
    const peers = ((await stats(B)).worker?.downloaders.fromPeers ?? 0) - peersBefore
    // Site files only: planktos' own files (manifest, torrents, runtime) are the fixed overhead, reported apart.
    const after = log.slice(mark)
    const origin = after.filter(e => !isPlanktos(e.url)).reduce((s, e) => s + e.bytes, 0)
    const overhead = after.filter(e => isPlanktos(e.url)).reduce((s, e) => s + e.bytes, 0)
    const share = peers + origin === 0 ? 0 : peers / (peers + origin)
    if (process.env.PLANKTOS_DEMO_DEBUG) console.log(after.map(e => `${e.status} ${e.bytes} ${e.range ?? ''} ${e.url}`).join('\n'))
    console.log(`demo check (${name}): after its first page, visitor B got ${peers} bytes from peers and ${origin} bytes of site files from the origin: ${(100 * share).toFixed(1)}% from peers (planktos files from the origin: ${overhead} bytes)`)
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
