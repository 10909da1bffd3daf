// The example sites (sites/astro, sites/eleventy), built with their own configs and the real adapters, in real
// browsers: every page renders, the worker controls every page after the first, and a second visitor gets at
// least half of its bytes after its first page from the first visitor's browser (local tracker, local origin).
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { Page, Response } from 'playwright-core'
import { serve, type RequestLogEntry } from '../integrations/cli/serve.ts'
import { startTracker } from '../integrations/cli/tracker.ts'
import { check, describe, ENOUGH, type CheckResult } from '../scripts/demo-check.ts'
import { buildExampleSite, pagesOf, root, SITES } from '../scripts/demo-sites.ts'
import { BROWSERS, within } from './helpers/browsers.ts'
import { reported } from './helpers/hooks.ts'

/** What a rendered page shows: enough to tell a page that works from one that lost its files. */
interface Shown {
  title: string
  controlled: boolean
  /** Images that failed to load (naturalWidth 0), by URL. */
  brokenImages: string[]
  images: number
  /** Stylesheets that did not load or hold no rules, by URL. */
  brokenStyles: string[]
  styles: number
}

function shown (page: Page): Promise<Shown> {
  return within(page.evaluate(async () => {
    const images = [...document.images]
    // Lazy images below the fold would never load in a headless viewport; the test wants every one of them.
    for (const img of images) img.loading = 'eager'
    await Promise.all(images.map(img => img.complete ? undefined : new Promise(resolve => { img.onload = img.onerror = resolve })))
    const links = [...document.querySelectorAll<HTMLLinkElement>('link[rel="stylesheet"]')]
    const rules = (link: HTMLLinkElement): number => { try { return link.sheet?.cssRules.length ?? 0 } catch { return 0 } }
    return {
      title: document.title,
      controlled: navigator.serviceWorker?.controller != null,
      brokenImages: images.filter(img => img.naturalWidth === 0).map(img => img.currentSrc || img.src),
      images: images.length,
      brokenStyles: links.filter(link => rules(link) === 0).map(link => link.href),
      styles: links.length
    }
  }), 'the page to render')
}

for (const site of SITES) {
  interface Context { url: string, log: RequestLogEntry[], pages: string[], titles: Map<string, string>, results: Map<string, CheckResult>, stop: () => Promise<void> }
  const test = suite<Context>(`sites/${site.name} in browsers`)

  test.before(reported(async (ctx) => {
    await mkdir(join(root, 'test-results'), { recursive: true })
    const out = await mkdtemp(join(root, 'test-results', `${site.name}-site-`))
    const tracker = await startTracker({ port: 0 })
    buildExampleSite(site, tracker.url, out)
    ctx.log = []
    ctx.results = new Map()
    const origin = await serve({ dir: out, port: 0, onRequest: e => ctx.log.push(e) })
    ctx.url = origin.url
    ctx.pages = await pagesOf(out)
    // The titles the generator wrote, read from the built pages.
    ctx.titles = new Map()
    for (const path of ctx.pages) {
      const html = await readFile(join(out, path, 'index.html'), 'utf8')
      ctx.titles.set(path, /<title>([^<]*)<\/title>/.exec(html)![1]!)
    }
    ctx.stop = async () => {
      await origin.close()
      await tracker.close()
      await rm(out, { recursive: true, force: true })
    }
  }))
  test.after(async (ctx) => { await ctx.stop?.() })

  test('the site has several pages', ({ pages }) => {
    assert.ok(pages.length >= 5, pages.join(' '))
    assert.is(pages[0], '')
  })

  for (const browser of BROWSERS) {
    test(`${browser}: for two visitors in turn, every page renders and every page after the first is answered by the worker`, async ({ url, log, pages, titles, results }) => {
      const onPage = async (page: Page, path: string, who: 'A' | 'B', response: Response | null): Promise<void> => {
        const where = `${who} ${path || 'home'}`
        assert.is(response?.status(), 200, where)
        // The check shows each visitor the first page once, as its first page: the origin answers it (the worker may
        // take control of the page right after, so the page's controller says nothing about who answered).
        const first = path === pages[0]
        // The first page of a visit comes from the origin; every later one through the worker.
        if (!first) assert.ok(response?.headers()['x-planktos-source'], `${where}: answered by the worker`)
        const s = await shown(page)
        assert.is(s.title, titles.get(path), `${where}: title`)
        assert.equal(s.brokenImages, [], `${where}: images`)
        assert.equal(s.brokenStyles, [], `${where}: stylesheets`)
        assert.ok(s.styles > 0, `${where}: has a stylesheet`)
        if (!first) assert.ok(s.controlled, `${where}: controlled by the worker`)
      }
      results.set(browser, await check(url, pages, log, { browsers: [browser, browser], onPage }))
    })

    // Measured during the visits above: the origin's log for its bytes, the second visitor's downloaders for peers'.
    test(`${browser}: the second visitor gets at least half of its bytes after its first page from the first visitor`, ({ results }) => {
      const result = results.get(browser)
      assert.ok(result, 'the visits above finished')
      console.log(`  ${browser}: ${describe(site.name, result!)}`)
      assert.ok(result!.share >= ENOUGH, describe(site.name, result!))
    })
  }

  test.run()
}
