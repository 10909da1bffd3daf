// The developer's loop: preview a planktos build, then run the generator's dev server on the same port and edit a
// page. The browser that previewed must show the edit, not the old worker's stored page: Eleventy's serve build
// and Astro's dev server put a kill switch at the worker's URL, and without either the worker steps aside by
// itself once the origin answers 404 for its manifest.
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { Browser, Page } from 'playwright-core'
import Eleventy from '@11ty/eleventy'
import { build as astroBuild, dev as astroDev } from 'astro'
import { BROWSERS, firstVisit, launch, within, type BrowserName } from './helpers/browsers.ts'
import { browserState } from './helpers/redeploy.ts'
import { buildSite, ensureRuntime, startOrigin, TEST_OPTIONS } from './helpers/site.ts'
import { captured } from './helpers/packed.ts'
import { serve } from '../integrations/cli/serve.ts'
import planktosEleventy from '../integrations/eleventy.ts'
import planktosAstro from '../integrations/astro.ts'

const FIXTURES = fileURLToPath(new URL('fixtures/', import.meta.url))
// Astro resolves its packages from the project, so its copy is inside the repository; Eleventy writes only below the
// working directory.
const RESULTS = fileURLToPath(new URL('../test-results/', import.meta.url))
const EDITED = 'Edited in the dev loop'

/** Polls until no service worker is registered for the page's origin and planktos' storage is gone. */
function workerGone (page: Page): Promise<void> {
  let left = 'the state not read yet'
  return within((async () => {
    for (;;) {
      const s = await browserState(page)
      if (s.workers.length === 0 && !s.databases.some(d => d.startsWith('planktos:'))) return
      left = `workers ${JSON.stringify(s.workers)}, databases ${JSON.stringify(s.databases)}, the page ${s.controlled ? '' : 'not '}controlled at ${page.url()}`
      await page.waitForTimeout(200)
    }
  })(), 'the old worker to unregister and its storage to go').catch((e: Error) => { throw new Error(`${e.message}; left: ${left}`) })
}

/** Waits, without reloading, until the page shows `text` (a dev kill switch reloads the page itself). */
async function shows (page: Page, text: string): Promise<void> {
  await within(page.waitForFunction(t => document.body?.textContent?.includes(t), text, { polling: 200, timeout: 0 }), `the page to show "${text}"`)
}

/**
 * The developer's one reload. It may be answered from the old worker's store; that worker then loads the page again
 * itself, which can abort the first load before it ends: so only its start is waited for.
 */
async function reloadOnce (page: Page): Promise<void> {
  // A developer takes longer than this between starting a dev server and reloading: navigations look at the
  // manifest at most every 3 s (CHECK_INTERVAL in runtime/worker/site.ts), so this reload's look happens (an earlier
  // one that the worker made, with the preview server gone and no dev server yet, must not stand in for it).
  await page.waitForTimeout(3_100)
  await page.reload({ waitUntil: 'commit' }).catch(() => {})
}

/** What every dev-loop case checks: after the developer's one reload the edit shows, and the old worker is gone. */
async function editShownAfterOneReload (page: Page): Promise<void> {
  await reloadOnce(page)
  await shows(page, EDITED)
  await workerGone(page)
}

/** A port the preview server was on, closed now, so the dev server can take it. */
async function previewed (browser: Browser, dir: string): Promise<{ page: Page, port: number }> {
  const origin = await startOrigin({ dir, base: '/' })
  const page = await firstVisit(browser, origin.url)
  // The previewed pages are in the store: the old worker can answer the next load without the origin.
  await page.goto(origin.url)
  await origin.close()
  return { page, port: origin.port }
}

/**
 * What a dev server without the adapters gives, on `port`: the pages of the built site in `dir` as the generator
 * wrote them (the home page edited), and no planktos files.
 */
async function plainDevServer (dir: string, port: number): Promise<Awaited<ReturnType<typeof serve>>> {
  await rm(join(dir, 'planktos'), { recursive: true, force: true })
  await rm(join(dir, 'planktos-sw.js'))
  await writeFile(join(dir, 'index.html'), `<!doctype html><html><head><title>Home</title></head><body><h1 id="title">${EDITED}</h1></body></html>`)
  return serve({ dir, port, base: '/' })
}

const temp: string[] = []
async function tempDir (): Promise<string> {
  await mkdir(RESULTS, { recursive: true })
  const dir = await mkdtemp(join(RESULTS, 'devloop-'))
  temp.push(dir)
  return dir
}
/** A copy of a fixture; in the system's temporary folder, since Eleventy skips what .gitignore lists (test-results/). */
async function copy (fixture: string, where = tmpdir()): Promise<string> {
  const dir = await mkdtemp(join(where, 'planktos-devloop-'))
  temp.push(dir)
  await cp(join(FIXTURES, fixture), dir, { recursive: true })
  return dir
}

for (const name of BROWSERS) {
  const test = suite<{ browser: Browser }>(`${name}: the dev loop`)
  test.before(async (ctx) => {
    await ensureRuntime()
    ctx.browser = await launch(name as BrowserName)
  })
  test.after(async (ctx) => {
    await ctx.browser?.close()
    await Promise.all(temp.splice(0).map(dir => rm(dir, { recursive: true, force: true })))
  })

  test('eleventy --serve on the port a planktos build was previewed on: the edit shows after one reload', async ({ browser }) => {
    const src = await copy('eleventy/site')
    const out = await tempDir()
    // The dev build reads a copy with the edit: Eleventy keeps the templates it read in memory for the process.
    const edited = await copy('eleventy/site')
    const eleventy = (runMode: 'build' | 'serve') => new Eleventy(relative(process.cwd(), runMode === 'build' ? src : edited), relative(process.cwd(), out), {
      runMode,
      config (config: { addPlugin (p: unknown, o?: unknown): void }) {
        config.addPlugin(planktosEleventy, TEST_OPTIONS)
      }
    })
    await captured(() => eleventy('build').write())
    const { page, port } = await previewed(browser, out)

    // `eleventy --serve` writes its output, then serves the folder as it is (a static server stands in for its own).
    await writeFile(join(edited, 'index.md'), `---\nlayout: layout.njk\ntitle: Home\n---\n# Home\n\n${EDITED}\n`)
    await captured(() => eleventy('serve').write())
    const dev = await serve({ dir: out, port, base: '/' })
    try {
      await editShownAfterOneReload(page)
    } finally {
      await dev.close()
    }
  })

  test('astro dev on the port a planktos build was previewed on: the edit shows after one reload', async ({ browser }) => {
    const root = await copy('astro/basic', await tempDir())
    const integrations = [planktosAstro(TEST_OPTIONS)]
    await captured(() => astroBuild({ root, configFile: false, logLevel: 'error', integrations }))
    const { page, port } = await previewed(browser, join(root, 'dist'))

    await writeFile(join(root, 'src/pages/index.astro'), `<html lang="en"><head><meta charset="utf-8" /><title>Home</title></head><body><h1>${EDITED}</h1></body></html>\n`)
    const { value: server } = await captured(() => astroDev({
      root, configFile: false, logLevel: 'error', devToolbar: { enabled: false },
      server: { host: '127.0.0.1', port }, integrations: [planktosAstro(TEST_OPTIONS)]
    }))
    try {
      assert.is(server.address.port, port, 'astro dev took the previewed port')
      await editShownAfterOneReload(page)
    } finally {
      await server.stop()
    }
  })

  test('any other dev server (no planktos files at all): the worker steps aside once its manifest is a 404', async ({ browser }) => {
    const site = await buildSite()
    temp.push(site.dir)
    const { page, port } = await previewed(browser, site.dir)
    const dev = await plainDevServer(site.dir, port)
    try {
      // The reload is answered from the store; its look at the manifest finds the 404, and the worker steps aside
      // and reloads the page.
      await editShownAfterOneReload(page)
      await page.reload()
      assert.is(await page.textContent('#title'), EDITED)
    } finally {
      await dev.close()
    }
  })

  test('any other dev server, and the page the old worker answered registers it again after it unregistered: the worker still goes', async ({ browser }) => {
    const site = await buildSite()
    temp.push(site.dir)
    const { page, port } = await previewed(browser, site.dir)
    // The stale page's install.js registers the worker in the moment after the worker unregistered and before it
    // reloads that page. Chromium then takes the registration back (a register() of the same script on a
    // registration being removed undoes the removal), and the worker, once the page reloads, would stay for good.
    await page.context().addInitScript(() => {
      const register = ServiceWorkerContainer.prototype.register
      ServiceWorkerContainer.prototype.register = async function (...args: Parameters<typeof register>) {
        for (const end = Date.now() + 10_000; Date.now() < end && (await this.getRegistrations()).length > 0;) await new Promise(resolve => setTimeout(resolve, 2))
        return register.apply(this, args)
      }
    })
    const dev = await plainDevServer(site.dir, port)
    try {
      await editShownAfterOneReload(page)
    } finally {
      await dev.close()
    }
  })

  test.run()
}
