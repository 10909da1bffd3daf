// A Starlight documentation site under a base (/docs), built by Astro with planktos listed before Starlight:
// Starlight's real Pagefind search returns results in pages the worker controls, and again with the origin down
// after a visit that used search (Pagefind asks for pagefind-entry.json?ts=<now>; the build ignores `ts`).
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { Browser, Page } from 'playwright-core'
import { build } from 'astro'
import starlight from '@astrojs/starlight'
import planktos from '../integrations/astro.ts'
import { BROWSERS, firstVisit, launch, pageFetch, within, type BrowserName } from './helpers/browsers.ts'
import { reported } from './helpers/hooks.ts'
import { captured, readManifest } from './helpers/packed.ts'
import { startOrigin, TEST_OPTIONS, type Origin } from './helpers/site.ts'

process.env.ASTRO_TELEMETRY_DISABLED = '1'
process.env.ASTRO_DISABLE_UPDATE_CHECK = 'true'

const REPO = fileURLToPath(new URL('..', import.meta.url))
const BASE = '/docs/'

let dir: string | undefined
let project: string | undefined

/** Builds test/fixtures/astro/starlight once (Astro must find its modules above the project, hence test-results/). */
async function builtSite (): Promise<string> {
  if (dir) return dir
  await mkdir(join(REPO, 'test-results'), { recursive: true })
  project = await mkdtemp(join(REPO, 'test-results', 'starlight-'))
  await cp(join(REPO, 'test/fixtures/astro/starlight'), project, { recursive: true })
  await captured(() => build({
    root: project!,
    configFile: false,
    base: BASE,
    logLevel: 'warn',
    // planktos first, on purpose: Starlight writes the Pagefind index in its own astro:build:done, after it.
    integrations: [planktos(TEST_OPTIONS), starlight({ title: 'Fixture docs' })]
  }))
  return (dir = join(project, 'dist'))
}

/** Opens Starlight's search dialog, types `query`, and returns the pages its results link to once they appear. */
async function search (page: Page, query: string): Promise<string[]> {
  await page.click('button[data-open-modal]')
  await page.fill('.pagefind-ui__search-input', query)
  await page.waitForSelector('.pagefind-ui__result-link')
  // A page's result and its sections' sub-results (`#heading`) are links to the same page.
  const paths = await page.$$eval('.pagefind-ui__result-link', links => links.map(a => new URL((a as HTMLAnchorElement).href).pathname))
  return [...new Set(paths)]
}

/** Waits until the worker answers `url` from its store (it stores what it fetched from the origin, in the background). */
function storedLater (page: Page, url: string): Promise<void> {
  return within((async () => {
    while ((await pageFetch(page, url)).source !== 'store') await page.waitForTimeout(100)
  })(), `${url} to be stored`)
}

for (const name of BROWSERS) {
  const test = suite<{ browser: Browser, origin: Origin }>(`${name}: Starlight search under the worker`)
  test.before(reported(async (ctx) => {
    ctx.browser = await launch(name as BrowserName)
    ctx.origin = await startOrigin({ dir: await builtSite(), base: BASE })
  }))
  test.after(async (ctx) => {
    await ctx.origin?.close()
    await ctx.browser?.close()
  })

  test('the build ignores Pagefind\'s ts parameter, and lists the index', async () => {
    const { manifest, files } = await readManifest(await builtSite())
    assert.ok(manifest.settings.ignoreSearchParams.includes('ts'))
    assert.is(manifest.base, BASE)
    assert.ok(files.has('pagefind/pagefind-entry.json'))
  })

  test('a search finds the page that holds the word, in a page the worker controls, and again with the origin down', async ({ browser, origin }) => {
    const page = await firstVisit(browser, origin.url)
    const guide = await page.goto(origin.url + 'guide/')
    assert.ok(guide?.headers()['x-planktos-source'], 'the worker answered the page')
    const mark = origin.log.length
    assert.equal(await search(page, 'copepods'), [`${BASE}plankton/`])

    // What the search fetched went through the worker, which fetched it from the origin and stores it.
    const used = [...new Set(origin.log.slice(mark).map(e => e.url).filter(url => url.startsWith(`${BASE}pagefind/`)))]
    assert.ok(used.some(url => url.startsWith(`${BASE}pagefind/pagefind-entry.json?ts=`)), used.join(' '))
    assert.ok(used.some(url => url.includes('.pf_fragment')), `a result fragment was fetched: ${used.join(' ')}`)
    for (const url of used) await storedLater(page, origin.url + url.slice(BASE.length).replace(/\?ts=\d+$/, ''))
    // Any other ts is the same file.
    assert.is((await pageFetch(page, origin.url + 'pagefind/pagefind-entry.json?ts=1')).source, 'store')

    await origin.close()
    const again = await page.reload()
    assert.is(again?.headers()['x-planktos-source'], 'store')
    assert.equal(await search(page, 'copepods'), [`${BASE}plankton/`], 'the same search with the origin down')
  })

  test.run()
}

// uvu runs the suites queued above; the built project is removed at exit.
process.once('beforeExit', () => { if (project) void rm(project, { recursive: true, force: true }) })
