// Removing planktos: a site rebuilt with the kill switch leaves a returning visitor's browser as if planktos had
// never been there after one navigation: no worker, no planktos storage, pages from the origin.
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as assert from 'uvu/assert'
import { ALL_BROWSERS, firstVisit, stay, until, within } from './helpers/browsers.ts'
import { browserState, redeploy } from './helpers/redeploy.ts'
import { buildSite, startOrigin, type Origin, type TestSite } from './helpers/site.ts'
import { browserSuites } from './helpers/suite.ts'

const DB = 'planktos:/'
const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'runtime', 'site')

browserSuites(name => `${name}: kill switch`, ({ test, name }) => {
  let site: TestSite | undefined
  let origin: Origin | undefined

  test.after.each(async () => {
    await origin?.close()
    await site?.remove()
    origin = site = undefined
  })

  test('a kill-switch build leaves a returning visitor uncontrolled, with planktos storage gone, after one navigation', async ({ browser }) => {
    // The generator wrote its pages afresh, without the install tag, and the old worker still serves its stored
    // pages, whose tag loads an install.js made inert here: only the kill-switch worker acts.
    site = await buildSite()
    origin = await startOrigin(site)
    const page = await firstVisit(browser, origin.url)
    await page.goto(origin.url + 'about/')
    await until(page, 'both pages to be stored', s => (s.worker?.stored ?? 0) >= 5)
    const before = await browserState(page)
    assert.ok(before.databases.includes(DB), 'the visitor has planktos storage')
    assert.is(before.workers.length, 1)

    const fresh = Object.fromEntries(await Promise.all(['index.html', 'about/index.html'].map(async p => [p, await readFile(join(FIXTURE, p))])))
    assert.is(await redeploy(site, fresh, { killSwitch: true }), null, 'a kill-switch build has no manifest')
    assert.not.ok((await readFile(join(site.dir, 'about', 'index.html'), 'utf8')).includes('data-planktos'), 'the pages are not tagged')
    await writeFile(join(site.dir, 'planktos', 'install.js'), '')
    assert.not.ok(existsSync(join(site.dir, 'planktos', 'manifest.json')), 'the old manifest is gone from the site')

    // The old worker still answers this navigation, and install.js from its own copy: that page registers the worker
    // again, maybe after the kill switch unregistered, and the new registration (a kill switch too) removes itself
    // in turn. Its register() settled, the removal below is the last. (WebKit's WebDriver reaches no page already open.)
    if (name !== 'webkit') {
      await page.context().addInitScript(() => {
        const register = ServiceWorkerContainer.prototype.register
        const w = window as unknown as { registering: Array<Promise<unknown>> }
        w.registering = []
        ServiceWorkerContainer.prototype.register = function (...args: Parameters<typeof register>) {
          const p = register.apply(this, args)
          w.registering.push(p.catch(() => {}))
          return p
        }
      })
    }
    await page.goto(origin.url)
    assert.is(await page.textContent('#title'), 'Planktos test site')
    if (name !== 'webkit') await within(page.evaluate(() => Promise.all((window as unknown as { registering: Array<Promise<unknown>> }).registering)), 'the page\'s register() to settle')
    const after = await within((async () => {
      for (;;) {
        const s = await browserState(page)
        if (!s.databases.includes(DB) && s.workers.length === 0) return s
        await page.waitForTimeout(200)
      }
    })(), 'the worker and the store to be removed')
    assert.equal(after.workers, [])

    // From the next load on, nothing of planktos is left running.
    const mark = origin.log.length
    // Uncontrolled (below), so the origin answered, not a worker: WebDriver (WebKit) shows no response headers.
    await page.goto(origin.url + 'about/')
    assert.is(await page.textContent('#title'), 'About this site')
    const state = await browserState(page)
    assert.equal([state.controlled, state.workers, state.databases.includes(DB)], [false, [], false])
    assert.ok(origin.log.slice(mark).some(e => e.url === '/about/'), 'the page came from the origin')
    await page.context().close()
  })

  test("a kill-switch build removes planktos within two navigations, for browsers that have not fetched its worker yet", async ({ browser }) => {
    site = await buildSite()
    origin = await startOrigin(site)
    const page = await firstVisit(browser, origin.url)
    await stay(page)
    await until(page, 'the first page to be stored', s => (s.worker?.stored ?? 0) >= 3)
    // The old worker's bytes stay at its URL, so the browser finds no new worker: only the pages' install.js acts.
    const worker = join(site.dir, 'planktos-sw.js')
    const oldWorker = await readFile(worker)
    await redeploy(site, {}, { killSwitch: true })
    await writeFile(worker, oldWorker)
    // The old worker answers install.js from its copy and looks at the origin's in the background; the next page
    // gets the changed one. Or a navigation is the worker's look at the manifest (at most every 3 s), finds it gone
    // (a kill-switch build has none), and the worker steps aside and reloads the page under that navigation, which
    // is then aborted (Firefox: NS_BINDING_ABORTED, in two clean-clone CI runs in a row). Either way planktos is
    // gone within two navigations; an aborted one is not a failure.
    const navigate = (url: string): Promise<unknown> => page.goto(url).catch((e: Error) => {
      if (!/NS_BINDING_ABORTED|ERR_ABORTED|interrupted by another navigation|cancel/i.test(e.message)) throw e
    })
    await navigate(origin.url + 'about/')
    await navigate(origin.url)
    await within((async () => {
      for (;;) {
        const s = await browserState(page)
        if (!s.databases.includes(DB) && s.workers.length === 0) return
        await page.waitForTimeout(200)
      }
    })(), 'install.js to remove the worker and the store')
    await page.reload()
    assert.is((await browserState(page)).controlled, false)
    await page.context().close()
  })
}, ALL_BROWSERS)
