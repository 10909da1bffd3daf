// A site served with the Content Security Policy the README documents, on every response (as a host's header rule
// applies it, the worker script included): planktos installs, the downloader loads, reaches the tracker, and a second
// visitor gets a page and a large file from the first, with no violation reported. Without the tracker in
// connect-src, the browser blocks the tracker and says so: the policy is really in force.
import { createHash } from 'node:crypto'
import * as assert from 'uvu/assert'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { startTracker } from '../integrations/cli/tracker.ts'
import { connected, controlled, fetchHash, imagesLoaded, installed, pageFetch, startDownloader, until, visitor, within } from './helpers/browsers.ts'
import { startProxy } from './helpers/proxy.ts'
import { blob, buildSite, startOrigin } from './helpers/site.ts'
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

async function visit (context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage()
  await page.goto(url)
  await installed(page)
  await controlled(page)
  return page
}

browserSuites(name => `${name}: under the documented Content Security Policy`, ({ test, own, cleanup }) => {
  test('the worker installs and a second visitor gets a page and a large file from the first, with no violation', async ({ browser }) => {
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
    assert.is(about?.headers()['content-security-policy'], undefined, "the worker's own response carries no policy of its own")
    assert.ok(await imagesLoaded(B))
    await installed(B)
    await startDownloader(B)
    await connected(B, "B's new page to connect to A")
    assert.equal(await fetchHash(B, proxy.url + 'data/blob.bin'), { sha: BLOB_SHA, source: 'peers' })
    assert.ok(proxy.seen.some(r => r.url === '/planktos-sw.js'), 'the worker script was served under the policy too')
    assert.equal(await violations(A), [], 'no violation on A')
    assert.equal(await violations(B), [], 'no violation on B')
  })

  test('without the tracker in connect-src, the browser blocks it and reports the violation', async ({ browser }) => {
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
})
