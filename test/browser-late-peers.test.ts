// A large file asked for at once by a new page, before that page's downloader has connected to the peer that holds
// it (a media element's first Range request does this): the worker starts from the origin, but asks peers again
// between origin chunks, so once the page has connected the rest comes from the peer. In Chromium and Firefox.
// The supplier holds back its WebRTC handshakes until the origin has been asked for the file, so the new page
// provably connects after the worker turned to the origin. A page that reads only the start of the file (a media
// element loading its metadata) and stops, before it could reach any peer, costs the origin one small first chunk.
// The site is visited through a proxy (test/helpers/proxy.ts), which lets that test pace the origin's first chunk.
import { createHash } from 'node:crypto'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { Browser, Page } from 'playwright-core'
import { startTracker } from '../integrations/cli/tracker.ts'
import { startProxy, type Proxy } from './helpers/proxy.ts'
import { BROWSERS, connected, controlled, firstVisit, installed, launch, pageFetch, startDownloader, stats, until, visitor, within } from './helpers/browsers.ts'
import { blob, buildSite, startOrigin } from './helpers/site.ts'

const SIZE = 4 * 1024 * 1024
const MEDIA = blob(SIZE, 23)
const SHA = createHash('sha256').update(MEDIA).digest('hex')
const FILE = 'data/media.bin'
const PEER_TIMEOUT = 1500
/** The origin's first chunk when peers may take over soon (FIRST_FROM_ORIGIN in runtime/worker/stream.ts). */
const FIRST_FROM_ORIGIN = 256 * 1024
const PIECE = 64 * 1024
const delay = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))
// The page asks for the file while it is parsed, as an <audio> or <video> element would.
const PAGE = `<!doctype html><html><head><title>Listen</title></head><body><h1>Listen</h1><script>
window.media = fetch('${FILE}', { headers: { Range: 'bytes=0-' } }).then(async res => {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await res.arrayBuffer()))
  return { status: res.status, sha: [...digest].map(b => b.toString(16).padStart(2, '0')).join('') }
})
</script></body></html>`
// The page reads the first bytes and stops, as a media element with preload="metadata" does.
const PEEK = 'peek.html'
const PEEK_PAGE = `<!doctype html><html><head><title>Peek</title></head><body><h1>Peek</h1><script>
window.media = fetch('${FILE}', { headers: { Range: 'bytes=0-' } }).then(async res => {
  const reader = res.body.getReader()
  const { value } = await reader.read()
  await reader.cancel()
  return { status: res.status, read: value.length }
})
</script></body></html>`

/** Wraps setRemoteDescription in the supplier's pages: while armed, WebRTC handshakes wait for release. */
function gateScript (): void {
  const set = RTCPeerConnection.prototype.setRemoteDescription
  const gate = { armed: false, held: [] as Array<() => void>, release () {
    gate.armed = false
    for (const go of gate.held.splice(0)) go()
  } }
  ;(window as unknown as { gate: typeof gate }).gate = gate
  RTCPeerConnection.prototype.setRemoteDescription = function (this: RTCPeerConnection, ...args: Parameters<typeof set>) {
    if (!gate.armed) return set.apply(this, args)
    return new Promise<void>((resolve, reject) => { gate.held.push(() => { set.apply(this, args).then(resolve, reject) }) })
  } as typeof set
}

const test = suite<{ browsers: Map<string, Browser> }>('peers that connect late')

test.before(async (ctx) => {
  ctx.browsers = new Map()
  for (const name of BROWSERS) ctx.browsers.set(name, await launch(name))
})
test.after(async (ctx) => {
  for (const browser of ctx.browsers?.values() ?? []) await browser.close()
})

interface Visit {
  origin: Awaited<ReturnType<typeof startOrigin>>
  /** In front of the origin: the visitors' address for the site. */
  proxy: Proxy
  A: Page
  B: Page
}

/**
 * A stores the file and stays on its first page with its downloader running and its handshakes gated; B has
 * visited the first page and is connected to A. `fn` runs then; everything is stopped afterwards.
 */
async function withSupplier (browser: Browser, fn: (v: Visit) => Promise<void>): Promise<void> {
  const tracker = await startTracker({ port: 0 })
  const site = await buildSite({ announce: [tracker.url], peerTimeout: PEER_TIMEOUT }, { [FILE]: MEDIA, 'listen.html': PAGE, [PEEK]: PEEK_PAGE })
  const origin = await startOrigin(site)
  const proxy = await startProxy(origin)
  const contexts = [...browser.contexts()]
  try {
    const A = await (await visitor(browser)).newPage()
    await A.context().addInitScript(gateScript)
    await A.goto(proxy.url)
    await installed(A)
    await controlled(A)
    await pageFetch(A, proxy.url + FILE)
    await until(A, 'A to store the file', s => (s.worker?.stored ?? 0) >= 1)
    await A.goto(proxy.url)
    await installed(A)
    await startDownloader(A)

    const B = await firstVisit(browser, proxy.url)
    await startDownloader(B)
    await connected(B, 'B to connect to A')
    await fn({ origin, proxy, A, B })
  } finally {
    for (const c of browser.contexts()) if (!contexts.includes(c)) await c.close()
    await proxy.close()
    await origin.close()
    await tracker.close()
    await site.remove()
  }
}

const arm = (A: Page): Promise<void> => A.evaluate(() => { (window as unknown as { gate: { armed: boolean } }).gate.armed = true })
const release = (A: Page): Promise<void> => A.evaluate(() => { (window as unknown as { gate: { release (): void } }).gate.release() })

/** Waits until the worker (not the page's web seed, which may ask for a piece at the file's end) asks the origin. */
function originAsked (B: Page, origin: Visit['origin'], mark: number): Promise<void> {
  return within((async () => {
    while (!origin.log.slice(mark).some(e => e.url === '/' + FILE && (e.range ?? 'bytes=0-').startsWith('bytes=0-'))) await B.waitForTimeout(20)
  })(), 'the worker to ask the origin')
}

function fileRequests (origin: Visit['origin'], mark: number): { bytes: number, log: string } {
  const mine = origin.log.slice(mark).filter(e => e.url === '/' + FILE)
  return { bytes: mine.reduce((n, e) => n + e.bytes, 0), log: JSON.stringify(mine) }
}

for (const name of BROWSERS) {
  test(`${name}: a file asked for before the page connects mostly comes from the peer that connects a moment later`, async ({ browsers }) => {
    await withSupplier(browsers.get(name)!, async ({ origin, proxy, A, B }) => {
      const mark = origin.log.length
      await arm(A)
      await B.goto(proxy.url + 'listen.html', { waitUntil: 'commit' })
      await originAsked(B, origin, mark)
      await release(A)
      const got = await within(B.evaluate(() => (window as unknown as { media: Promise<{ status: number, sha: string }> }).media), 'the file')
      assert.equal(got, { status: 206, sha: SHA })
      const sent = fileRequests(origin, mark)
      assert.ok(sent.bytes < SIZE / 2, `bytes of the file the origin sent: ${sent.bytes} of ${SIZE} (${sent.log})`)
    })
  })

  test(`${name}: a page that reads only the start of the file before it reaches a peer costs the origin at most 256 KiB of it`, async ({ browsers }) => {
    await withSupplier(browsers.get(name)!, async ({ origin, proxy, A, B }) => {
      const mark = origin.log.length
      const ended = (await stats(B)).worker!.ended
      // A never answers B's handshakes in this test: no page of B's can reach a peer.
      await arm(A)
      // The origin's first chunk arrives a piece at a time, the rest only after the page has read its first bytes and
      // cancelled, as over a real network. Firefox tells the worker that a response was cancelled only once it has
      // more bytes for it: when the page cancelled after reading every byte the worker had (all of a chunk that came
      // at loopback speed), the worker saw a reader waiting and fetched one more chunk (the CI of 716b498; 1 in 12
      // runs here).
      let cancelled = (): void => {}
      const read = new Promise<void>(resolve => { cancelled = resolve })
      let paced = 0
      proxy.handler = async (req, res, fetchUpstream) => {
        if (req.method !== 'GET' || req.url !== '/' + FILE || req.headers.range !== `bytes=0-${FIRST_FROM_ORIGIN - 1}`) return false
        paced++
        const up = await fetchUpstream()
        res.writeHead(up.status, up.headers)
        for (let at = 0; at < up.body.length && !res.destroyed; at += PIECE) {
          if (at > 0) await (at === PIECE ? read : delay(50))
          res.write(up.body.subarray(at, at + PIECE))
        }
        res.end()
        return true
      }
      await B.goto(proxy.url + PEEK, { waitUntil: 'commit' })
      await originAsked(B, origin, mark)
      let got: { status: number, read: number }
      try {
        got = await within(B.evaluate(() => (window as unknown as { media: Promise<{ status: number, read: number }> }).media),
          'the page\'s first bytes (the proxy sends the rest of the first chunk only after them)')
      } finally {
        cancelled()
      }
      assert.is(paced, 1, 'the proxy paced the worker\'s first chunk, and only that request')
      assert.is(got.status, 206)
      assert.ok(got.read > 0 && got.read < SIZE, `the page read ${got.read} bytes`)
      // Once the worker's download has ended (its patience for peers ran out with nobody reading), it asks for nothing more.
      await until(B, 'the download to end', s => (s.worker?.ended ?? 0) > ended)
      // The file's last piece also holds the page B navigated to, which A never had: B's web seed fetches it.
      const tail = (e: { range?: string, bytes: number }): boolean => (e.range ?? '').endsWith(`-${SIZE - 1}`) && e.bytes < 16 * 1024
      const sent = origin.log.slice(mark).filter(e => e.url === '/' + FILE && !tail(e))
      const bytes = sent.reduce((n, e) => n + e.bytes, 0)
      // The worker's and the downloader's counters go with a failure: CI53 once saw the page's own request (Range:
      // bytes=0-) reach the origin besides the worker's first chunk, and no run since has shown how.
      if (bytes > FIRST_FROM_ORIGIN) {
        const { worker, downloader } = await stats(B)
        assert.unreachable(`bytes of the file the origin sent: ${bytes} (${JSON.stringify(sent)}); worker ${JSON.stringify(worker)}; downloader ${JSON.stringify(downloader)}`)
      }
      await release(A)
    })
  })
}

test.run()
