// The scaffold of a browser suite, once: one uvu suite per browser, the browser launched before its tests and
// closed after them, and whatever a test starts (origins, trackers, sites, visitors) registered with `own` to be
// closed after that test, so a failed test leaves nothing behind to disturb the next. Also the checks several
// suites share: what a rendered page must show, and the site bytes the origin sent.
import { suite, type Test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Browser, Page } from 'playwright-core'
import type { FileEntry } from '../../runtime/shared/manifest.ts'
import { BROWSERS, launch, rendered, type BrowserName } from './browsers.ts'
import { isPlanktosFile, pageFiles, type gallery, type Origin, type TestSite } from './site.ts'
import { reported } from './hooks.ts'

export interface BrowserSuite<C> {
  test: Test<C & { browser: Browser }>
  name: BrowserName
  /** Run after the current test, last first. */
  cleanup: Array<() => Promise<unknown>>
  /** Closes `thing` after the current test. */
  own: <T extends { close (): Promise<unknown> }>(thing: T) => T
  /** Removes `site` after the current test. */
  ownSite: (site: TestSite) => TestSite
}

/**
 * A suite whose tests use several browsers at once (visitors in different engines, or a loop over engines): each of
 * `names` is launched before the tests and closed after them.
 */
export function browsersSuite (title: string, names: readonly BrowserName[] = BROWSERS): Test<{ browsers: Map<BrowserName, Browser> }> {
  const test = suite<{ browsers: Map<BrowserName, Browser> }>(title)
  test.before(async (ctx) => {
    ctx.browsers = new Map()
    for (const name of names) ctx.browsers.set(name, await launch(name))
  })
  test.after(async (ctx) => {
    for (const browser of ctx.browsers?.values() ?? []) await browser.close()
  })
  return test
}

/**
 * Defines and runs `title(name)` in each of `browsers`. `define` adds the tests (and any hooks of its own, which run
 * after these: uvu keeps hooks in order).
 */
export function browserSuites<C extends object = object> (title: (name: BrowserName) => string, define: (s: BrowserSuite<C>) => void, browsers: readonly BrowserName[] = BROWSERS): void {
  // PLANKTOS_BROWSERS=webkit (a comma-separated list) runs a file's suites in those browsers only, while working on one.
  const only = process.env.PLANKTOS_BROWSERS?.split(',')
  for (const name of browsers.filter(b => !only || only.includes(b))) {
    const test = suite<C & { browser: Browser }>(title(name))
    const cleanup: Array<() => Promise<unknown>> = []
    const own = <T extends { close (): Promise<unknown> }>(thing: T): T => {
      cleanup.push(() => thing.close())
      return thing
    }
    const ownSite = (site: TestSite): TestSite => {
      cleanup.push(() => site.remove())
      return site
    }
    test.before(reported(async (ctx) => { ctx.browser = await launch(name) }))
    test.after.each(async () => {
      for (const close of cleanup.splice(0).reverse()) await close().catch(() => {})
    })
    define({ test, name, own, ownSite, cleanup })
    test.after(async (ctx) => { await ctx.browser?.close() })
    test.run()
  }
}

/**
 * The check that `page` shows page `url` of the test site extended with `site`'s gallery: its title, and each of its
 * images decoded with the bytes the manifest lists. A suite keeps it as `const assertRendered = renderCheck(GALLERY)`.
 */
export function renderCheck (site: ReturnType<typeof gallery>): (page: Page, files: Map<string, FileEntry>, url: string) => Promise<void> {
  const titles: Record<string, string> = { '': 'Planktos test site', 'about/': 'About this site', ...Object.fromEntries(site.pages.map(p => [p.url, p.title])) }
  return async (page, files, url) => {
    const r = await rendered(page)
    const name = url || 'home'
    assert.is(r.title, titles[url], `the title of ${name}`)
    const expected = pageFiles(files, url).filter(p => /\.(svg|bmp)$/.test(p)).sort()
    assert.equal(r.images.map(i => i.src.slice(1)).sort(), expected, `the images of ${name}`)
    for (const img of r.images) {
      assert.ok(img.width > 0, `${img.src} is decoded`)
      assert.is(img.sha, files.get(img.src.slice(1))?.sha256, `${img.src} has the right bytes`)
    }
  }
}

/** Site-file bytes the origin served from log entry `from` on (planktos' own files and the favicon left out). */
export function originSiteBytes (origin: Origin, base: string, from = 0): number {
  return origin.log.slice(from).filter(e => !isPlanktosFile(base, e.url) && e.url !== '/favicon.ico').reduce((n, e) => n + e.bytes, 0)
}
