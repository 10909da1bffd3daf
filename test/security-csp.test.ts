// A site served with the Content Security Policy docs/security.md documents, on every response (as a host's header
// rule applies it, the worker script included): planktos installs, the downloader loads, reaches the tracker, and a
// second visitor gets a page and a large file from the first, with no violation reported. Without the tracker in
// connect-src, the browser blocks the tracker and says so: the policy is really in force.
// The worker's answers keep the site's security headers, from the origin, the store and peers: sent by the server on
// every response (nginx's add_header) or declared at build time (a _headers file) when the origin sends none with
// the manifest; either way the CSP is enforced on a page from a peer (its inline script is blocked).
import { createHash } from 'node:crypto'
import * as assert from 'uvu/assert'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { startTracker } from '../integrations/cli/tracker.ts'
import { ALL_BROWSERS, connected, controlled, fetchHash, imagesLoaded, installed, pageFetch, startDownloader, until, visitor, within } from './helpers/browsers.ts'
import { startProxy } from './helpers/proxy.ts'
import { blob, buildSite, siteFiles, startOrigin } from './helpers/site.ts'
import { browserSuites } from './helpers/suite.ts'

const BLOB = blob(300_000, 11)
const BLOB_SHA = createHash('sha256').update(BLOB).digest('hex')

/**
 * The README's policy for a site whose tracker is `tracker`: what planktos needs (script-src, worker-src,
 * connect-src) and, since default-src is 'none' here, what the test site's own pages need (styles and images).
 */
const policy = (tracker: string | null): string => [
  "default-src 'none'",
  "script-src 'self'",
  "worker-src 'self'",
  `connect-src 'self'${tracker ? ' ' + tracker : ''}`,
  "style-src 'self'",
  "img-src 'self'"
].join('; ')

/** Records every CSP violation the pages of an origin report, in its localStorage (it outlives navigations). */
const WATCH = `addEventListener('securitypolicyviolation', e => {
  const seen = JSON.parse(localStorage.getItem('violations') ?? '[]')
  localStorage.setItem('violations', JSON.stringify([...seen, e.violatedDirective + ' ' + e.blockedURI]))
})`

async function newVisitor (browser: Browser): Promise<BrowserContext> {
  const context = await visitor(browser)
  await context.addInitScript(WATCH)
  return context
}

const violations = (page: Page): Promise<string[]> => page.evaluate(() => JSON.parse(localStorage.getItem('violations') ?? '[]') as string[])

/** A page whose inline script would leave a mark; under the test policy (script-src 'self') it must not run. */
const INLINE_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>Inline</title>
<script>localStorage.setItem('inline-ran', 'yes')</script></head><body><h1>inline</h1></body></html>`

const inlineBlocks = (v: string[]): number => v.filter(x => x.startsWith('script-src') && x.endsWith(' inline')).length

/**
 * Navigates `page` to `url` and checks the worker answered from `source` with every header of `expected`, and that
 * the CSP was in force: the browser reports the inline script blocked (the event that ends the wait) and it left
 * no mark. Returns the answer's headers.
 */
async function expectGuarded (page: Page, url: string, source: string, expected: Record<string, string>): Promise<Record<string, string>> {
  const before = inlineBlocks(await violations(page))
  const res = await page.goto(url)
  const headers = res!.headers()
  assert.is(headers['x-planktos-source'], source, `answered from ${source}`)
  for (const [name, value] of Object.entries(expected)) assert.is(headers[name], value, `${name} from ${source}`)
  await within((async () => {
    while (inlineBlocks(await violations(page)) <= before) await page.waitForTimeout(50)
  })(), `the inline script to be blocked (from ${source})`)
  assert.is(await page.evaluate(() => localStorage.getItem('inline-ran')), null, `the inline script did not run (from ${source})`)
  return headers
}

async function visit (context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage()
  await page.goto(url)
  await installed(page)
  await controlled(page)
  return page
}

browserSuites(name => `${name}: under the documented Content Security Policy`, ({ test, name, own, cleanup }) => {
  // WebKit here has no WebRTC: no second visitor can get files from the first, and no tracker is contacted (the
  // tracker client drops WebSocket trackers without WebRTC). The cases that need that run in Chromium and Firefox
  // only; the header cases check the answers from the origin and the store there, and from a peer elsewhere.
  const peers = name !== 'webkit'

  if (peers) test('the worker installs and a second visitor gets a page and a large file from the first, with no violation', async ({ browser }) => {
    const tracker = own(await startTracker({ port: 0 }))
    const site = await buildSite({ announce: [tracker.url], peerTimeout: 15_000 }, { 'data/blob.bin': BLOB })
    cleanup.push(() => site.remove())
    const proxy = own(await startProxy(own(await startOrigin(site))))
    proxy.extraHeaders['Content-Security-Policy'] = policy(tracker.url)

    const A = await visit(own(await newVisitor(browser)), proxy.url)
    await A.goto(proxy.url + 'about/')
    for (const path of ['data/blob.bin', 'notes/a.txt', 'notes/plain%20text%20%C3%A9.txt']) await pageFetch(A, proxy.url + path)
    await until(A, 'A to store every file', s => (s.worker?.stored ?? 0) >= 8)
    await A.goto(proxy.url)
    await installed(A)
    await startDownloader(A)

    const B = await visit(own(await newVisitor(browser)), proxy.url)
    await startDownloader(B)
    await connected(B, 'B to connect to A')
    const about = await B.goto(proxy.url + 'about/')
    assert.is(about?.headers()['x-planktos-source'], 'peers')
    assert.is(about?.headers()['content-security-policy'], policy(tracker.url), "the worker's answer carries the site's policy")
    assert.ok(await imagesLoaded(B))
    await installed(B)
    await startDownloader(B)
    await connected(B, "B's new page to connect to A")
    assert.equal(await fetchHash(B, proxy.url + 'data/blob.bin'), { sha: BLOB_SHA, source: 'peers' })
    assert.ok(proxy.seen.some(r => r.url === '/planktos-sw.js'), 'the worker script was served under the policy too')
    assert.equal(await violations(A), [], 'no violation on A')
    assert.equal(await violations(B), [], 'no violation on B')
  })

  if (peers) test('without the tracker in connect-src, the browser blocks it and reports the violation', async ({ browser }) => {
    const tracker = own(await startTracker({ port: 0 }))
    const site = await buildSite({ announce: [tracker.url] })
    cleanup.push(() => site.remove())
    const proxy = own(await startProxy(own(await startOrigin(site))))
    proxy.extraHeaders['Content-Security-Policy'] = policy(null)
    const page = await visit(own(await newVisitor(browser)), proxy.url)
    await startDownloader(page)
    const found = await within((async () => {
      for (;;) {
        const v = (await violations(page)).filter(v => v.startsWith('connect-src') && v.includes(`127.0.0.1:${tracker.port}`))
        if (v.length) return v
        await page.waitForTimeout(100)
      }
    })(), 'the tracker connection to be blocked')
    assert.ok(found.length > 0)
    assert.is(tracker.announces().size, 0, 'the tracker heard nothing')
    // The site still works: planktos' own requests to the origin are within the policy.
    assert.is((await pageFetch(page, proxy.url + 'notes/a.txt')).text, 'plain text a\n')
  })

  test(`an nginx-style origin's CSP, X-Frame-Options and Referrer-Policy are on answers from the origin, the store${peers ? ' and a peer' : ''}, and the CSP blocks an inline script`, async ({ browser }) => {
    const tracker = own(await startTracker({ port: 0 }))
    const site = await buildSite({ announce: [tracker.url], peerTimeout: 15_000 }, { 'inline/index.html': INLINE_PAGE })
    cleanup.push(() => site.remove())
    const proxy = own(await startProxy(own(await startOrigin(site))))
    const sent = { 'content-security-policy': policy(tracker.url), 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer' }
    Object.assign(proxy.extraHeaders, sent)
    const files = await siteFiles(site)

    const A = await visit(own(await newVisitor(browser)), proxy.url)
    await expectGuarded(A, proxy.url + 'inline/', 'origin', sent)
    for (const path of files.keys()) await pageFetch(A, proxy.url + path.split('/').map(encodeURIComponent).join('/'))
    await until(A, 'A to store every file', s => (s.worker?.stored ?? 0) >= files.size)
    await expectGuarded(A, proxy.url + 'inline/', 'store', sent)
    if (!peers) return
    await installed(A)
    await startDownloader(A)

    const B = await visit(own(await newVisitor(browser)), proxy.url)
    await startDownloader(B)
    await connected(B, 'B to connect to A')
    await expectGuarded(B, proxy.url + 'inline/', 'peers', sent)
  })

  test(`headers declared in the _headers file reach a page from the store${peers ? ' and from a peer' : ''} when the origin sends none`, async ({ browser }) => {
    const tracker = own(await startTracker({ port: 0 }))
    const csp = policy(tracker.url)
    const rules = `# Netlify / Cloudflare Pages format\n/*\n  Content-Security-Policy: ${csp}\n  Cache-Control: no-store\n/inline/*\n  X-Frame-Options: DENY\n`
    const site = await buildSite({ announce: [tracker.url], peerTimeout: 15_000 }, { 'inline/index.html': INLINE_PAGE, _headers: rules })
    cleanup.push(() => site.remove())
    const proxy = own(await startProxy(own(await startOrigin(site))))
    const files = await siteFiles(site)

    const A = await visit(own(await newVisitor(browser)), proxy.url)
    for (const path of files.keys()) await pageFetch(A, proxy.url + path.split('/').map(encodeURIComponent).join('/'))
    await until(A, 'A to store every file', s => (s.worker?.stored ?? 0) >= files.size)
    const declared = { 'content-security-policy': csp, 'x-frame-options': 'DENY' }
    assert.is((await expectGuarded(A, proxy.url + 'inline/', 'store', declared))['cache-control'], undefined, 'only security headers are repeated')
    if (!peers) return
    await A.goto(proxy.url)
    await installed(A)
    await startDownloader(A)

    const B = await visit(own(await newVisitor(browser)), proxy.url)
    await startDownloader(B)
    await connected(B, 'B to connect to A')
    const res = await expectGuarded(B, proxy.url + 'inline/', 'peers', declared)
    assert.is(res['cache-control'], undefined, 'only security headers are repeated')
  })
}, ALL_BROWSERS)
