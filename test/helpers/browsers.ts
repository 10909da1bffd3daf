// Real browsers for the runtime tests: Debian's Chromium and Firefox ESR driven by playwright-core, and WebKitGTK
// driven over WebDriver through a playwright-shaped shim (./webkit.ts), each launched with a fresh profile; every
// visitor is its own browser context. Timeouts here only detect hangs.
import * as assert from 'uvu/assert'
import { chromium, firefox, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core'
import type { DownloaderStats, WorkerStats } from '../../runtime/shared/messages.ts'
import { WebKitBrowser } from './webkit.ts'

export type BrowserName = 'chromium' | 'firefox' | 'webkit'
/**
 * The browsers with WebRTC, where visitors can be peers: suites that need peers run in these only. Debian builds
 * WebKitGTK without WebRTC (no RTCPeerConnection), so WebKit here tests planktos as a worker and origin site; Safari's
 * own WebRTC data channels cannot be tested on this machine.
 */
export const BROWSERS: readonly BrowserName[] = ['chromium', 'firefox']
/** Every browser: for suites that need no peers (one visitor, the worker, the store, the origin). */
export const ALL_BROWSERS: readonly BrowserName[] = [...BROWSERS, 'webkit']

/** Generous: long enough for a slow machine, short enough that a hang fails the test instead of the run. */
export const HANG = 30_000

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-gpu']
/**
 * Firefox hides its host addresses behind mDNS names in WebRTC candidates, and resolving them costs about a second
 * per connection here, sometimes far more: tests would measure mDNS, not planktos. (Chromium's resolver is fast.)
 */
const FIREFOX_PREFS = { 'media.peerconnection.ice.obfuscate_host_addresses': false }

/** Launches one browser with a fresh profile. */
export function launch (name: BrowserName): Promise<Browser> {
  // The shim has the calls the suites use; any other fails with a sentence saying so.
  if (name === 'webkit') return WebKitBrowser.launch() as unknown as Promise<Browser>
  if (name === 'chromium') return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, timeout: HANG })
  return firefox.launch({ channel: 'moz-firefox', executablePath: '/usr/bin/firefox-esr', firefoxUserPrefs: FIREFOX_PREFS, timeout: HANG })
}

/**
 * Stops the page's service workers (Chromium only: CDP) and waits until Chromium reports them stopped: the command
 * returns before they are, and a test that means "a worker the browser had stopped" must not meet the old one alive.
 * The page may start a new one right after, as a browser does.
 */
export async function stopWorkers (page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page)
  let running = -1
  let settled = (): void => {}
  const stopped = new Promise<void>(resolve => { settled = resolve })
  cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
    running = versions.filter(v => v.runningStatus !== 'stopped').length
    if (running === 0) settled()
  })
  await cdp.send('ServiceWorker.enable')
  await cdp.send('ServiceWorker.stopAllWorkers')
  await within(stopped, `Chromium to report the page's service worker stopped (${running} still running)`)
  await cdp.detach()
}

/** A new visitor: an empty context (no worker, no storage, no cache). */
export async function visitor (browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext()
  context.setDefaultTimeout(HANG)
  context.setDefaultNavigationTimeout(HANG)
  return context
}

/** Rejects with `what` when `promise` takes longer than `ms`. */
export function within<T> (promise: Promise<T>, what: string, ms = HANG): Promise<T> {
  let timer: ReturnType<typeof setTimeout>
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`hang: ${what} (no result after ${ms} ms)`)), ms) })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** Waits until a service worker controls `page` (the `controllerchange` event, or already so). */
export function controlled (page: Page): Promise<void> {
  return within(page.evaluate((ms) => new Promise<void>((resolve, reject) => {
    const sw = navigator.serviceWorker
    if (!sw) return reject(new Error('no navigator.serviceWorker on this page'))
    if (sw.controller) return resolve()
    sw.addEventListener('controllerchange', () => resolve())
    setTimeout(() => reject(new Error('no controllerchange')), ms)
  }), HANG - 1000), 'the worker to control the page')
}

export interface PageStats {
  worker?: WorkerStats
  downloader?: DownloaderStats
}

/** The visitor's tracker notes (runtime/page/tracker-backoff.ts: failed or silent trackers), by tracker URL. */
export function trackerNotes (page: Page): Promise<Record<string, { silent?: boolean }>> {
  return page.evaluate(() => JSON.parse(localStorage.getItem('planktos-tracker-failures') ?? '{}') as Record<string, { silent?: boolean }>)
}

/** The counters `window.planktos.stats()` reports on `page`. */
export function stats (page: Page): Promise<PageStats> {
  return within(page.evaluate(async () => {
    const p = (window as unknown as { planktos?: { stats (): Promise<PageStats> } }).planktos
    if (!p) throw new Error('window.planktos is not defined: install.js did not run')
    return p.stats()
  }), 'planktos.stats()')
}

/** Waits for install.js to define window.planktos (it is loaded async). */
export function installed (page: Page): Promise<void> {
  return within(page.waitForFunction(() => 'planktos' in window, undefined, { timeout: HANG - 1000 }).then(() => {}), 'install.js to run')
}

/**
 * Asserts navigation `res`'s status and where the worker says it came from (`X-Planktos-Source`; `source: true`: any
 * source, the worker answered). WebDriver exposes no navigation responses: in WebKit the response is the one the test
 * browser printed (webkit.ts), and a navigation it printed none for is not checked.
 */
export function assertNavigation (res: object | null, expected: { status?: number, source?: string | true }, what = 'the navigation'): void {
  if (res && !('headers' in res)) return
  const r = res as { status (): number, headers (): Record<string, string> } | null
  if (expected.status !== undefined) assert.is(r?.status(), expected.status, `${what}: status`)
  const source = r?.headers()['x-planktos-source']
  if (expected.source === true) assert.ok(source, `${what}: the worker answered`)
  else if (expected.source !== undefined) assert.is(source, expected.source, `${what}: source`)
}

/** Fetches `url` from inside `page` and reports what came back. */
export function pageFetch (page: Page, url: string, init: { method?: string, mode?: RequestMode } = {}): Promise<{ status: number, source: string | null, text: string }> {
  return within(page.evaluate(async ([url, init]) => {
    const res = await fetch(url, init)
    return { status: res.status, source: res.headers.get('X-Planktos-Source'), text: res.type === 'opaque' ? '' : await res.text() }
  }, [url, init] as const), `fetch ${url}`)
}

/** Whether every <img> on the page has loaded with a size (a broken image has naturalWidth 0). */
export function imagesLoaded (page: Page): Promise<boolean> {
  return within(page.evaluate(async () => {
    const images = [...document.images]
    await Promise.all(images.map(img => img.complete ? undefined : new Promise(resolve => { img.onload = img.onerror = resolve })))
    return images.length > 0 && images.every(img => img.naturalWidth > 0)
  }), 'images to load')
}

/** A visitor's first page: loaded from the origin, then controlled by the worker. */
export async function firstVisit (browser: Browser, url: string): Promise<Page> {
  const page = await (await visitor(browser)).newPage()
  await page.goto(url)
  await installed(page)
  await controlled(page)
  return page
}

/** Polls `planktos.stats()` on `page` until `ok` holds; returns the counters that satisfied it. */
export function until (page: Page, what: string, ok: (s: PageStats) => boolean, ms = HANG): Promise<PageStats> {
  return within((async () => {
    for (;;) {
      const s = await stats(page)
      if (ok(s)) return s
      await page.waitForTimeout(100)
    }
  })(), what, ms)
}

/** Polls until the page's downloader has a connected peer. */
export function connected (page: Page, what = 'the page\'s downloader to connect to a peer'): Promise<PageStats> {
  return until(page, what, s => (s.downloader?.peers ?? 0) > 0)
}

/** Starts the page's downloader now (it would start when the page is idle). */
export function startDownloader (page: Page): Promise<void> {
  return within(page.evaluate(() => (window as unknown as { planktos: { start (): Promise<void> } }).planktos.start()), 'the downloader to start')
}

/**
 * The visitor stays on its first page: its downloader starts (as after `STAY`, runtime/install.ts), and with it the
 * worker stores what the page loaded before the worker controlled it (runtime/worker/seen.ts).
 */
export const stay = startDownloader

/** SHA-256 of a file fetched through the page (so through the worker), and where it came from. */
export function fetchHash (page: Page, url: string, ms = HANG): Promise<{ sha: string, source: string | null }> {
  return within(page.evaluate(async (url) => {
    const res = await fetch(url)
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await res.arrayBuffer()))
    return { sha: [...digest].map(b => b.toString(16).padStart(2, '0')).join(''), source: res.headers.get('X-Planktos-Source') }
  }, url), `fetch ${url}`, ms)
}

/** What a rendered page shows: its title and, for each image, its decoded width and the SHA-256 of its bytes. */
export interface Rendered {
  title: string | null
  images: Array<{ src: string, width: number, sha: string }>
}

/** Reads what `page` shows once its images have settled (their bytes are fetched again, from the worker's store). */
export function rendered (page: Page): Promise<Rendered> {
  return within(page.evaluate(async () => {
    const hex = (b: ArrayBuffer): string => [...new Uint8Array(b)].map(x => x.toString(16).padStart(2, '0')).join('')
    const images = [...document.images]
    await Promise.all(images.map(img => img.complete ? undefined : new Promise(resolve => { img.onload = img.onerror = resolve })))
    return {
      title: document.querySelector('#title')?.textContent ?? null,
      images: await Promise.all(images.map(async img => ({
        src: new URL(img.currentSrc || img.src).pathname,
        width: img.naturalWidth,
        sha: hex(await crypto.subtle.digest('SHA-256', await (await fetch(img.currentSrc || img.src)).arrayBuffer()))
      })))
    }
  }), 'the page to render')
}

/**
 * Records the requests `page` makes and says which never finished (neither a response body nor a failure), each
 * with how long ago it started.
 *
 * A fetch the previous document started is the browser's to cancel when the next document commits, so those are left
 * out: what must not hang is what the page now shown asked for. (Added for a CI failure where the downloader's
 * manifest request stayed pending; in four instrumented runs no request was still open at a commit, so that failure
 * was most likely the shown page's own request, and its cause is still unknown.)
 */
export function pendingRequests (page: Page): () => string[] {
  const open = new Map<Request, number>()
  page.on('request', r => open.set(r, Date.now()))
  page.on('requestfinished', r => open.delete(r))
  page.on('requestfailed', r => open.delete(r))
  // The WebKit test page has no frames to tell documents apart; every request it made counts there.
  if ('mainFrame' in page) {
    page.on('framenavigated', frame => {
      if (frame !== page.mainFrame()) return
      for (const r of open.keys()) if (!r.isNavigationRequest() && r.serviceWorker() === null && r.frame() === frame) open.delete(r)
    })
  }
  return () => [...open].map(([r, at]) => `${r.url()} (${Date.now() - at} ms ago)`)
}

/**
 * Flips 100 bytes at byte `at` of the file `sha256` in the page's planktos store (IndexedDB `planktos:/`), as a
 * store altered after its bytes were verified would hold them.
 */
export function alterStored (page: Page, sha256: string, at: number): Promise<void> {
  return page.evaluate(async ({ sha256, at }) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('planktos:/')
      req.onsuccess = () => resolve(req.result)
      req.onerror = () => reject(req.error)
    })
    const tx = db.transaction('segments', 'readwrite')
    const segments = tx.objectStore('segments')
    const keys = await new Promise<IDBValidKey[]>(resolve => { const r = segments.getAllKeys(IDBKeyRange.bound([sha256], [sha256, []])); r.onsuccess = () => resolve(r.result) })
    const key = keys.find(k => (k as number[])[1]! <= at && at < (k as number[])[2]!) as [string, number, number]
    const bytes = await new Promise<Uint8Array>(resolve => { const r = segments.get(key); r.onsuccess = () => resolve(r.result as Uint8Array) })
    for (let i = at - key[1]; i < at - key[1] + 100; i++) bytes[i] = bytes[i]! ^ 0xff
    segments.put(bytes, key)
    await new Promise(resolve => { tx.oncomplete = resolve })
    db.close()
  }, { sha256, at })
}
