// A navigation right after `planktos.ready` (the visitor clicks while the worker has just taken over, before the page
// has told the worker anything): the origin must still send each site file once. WebKit sends a navigation made
// while the worker is still activating to the network as well as to the worker, so `ready` waits for activation.
import * as assert from 'uvu/assert'
import { ALL_BROWSERS, installed, visitor } from './helpers/browsers.ts'
import { buildSite, gallery, isPlanktosFile, siteFiles, startOrigin, type Origin } from './helpers/site.ts'
import { browserSuites, renderCheck } from './helpers/suite.ts'

const GALLERY = gallery(1)
const assertRendered = renderCheck(GALLERY)

/** Site files whose bytes the origin sent more than once since log entry `from` (a 304 sends none). */
function twice (origin: Origin, base: string, from = 0): string[] {
  const urls = origin.log.slice(from).filter(e => e.bytes > 0 && !isPlanktosFile(base, e.url) && e.url !== '/favicon.ico').map(e => e.url)
  return [...new Set(urls.filter((u, i) => urls.indexOf(u) !== i))]
}

browserSuites(name => `${name}: a navigation right after planktos.ready`, ({ test, own, ownSite }) => {
  test('asks the origin for each site file once', async ({ browser }) => {
    const site = ownSite(await buildSite({}, GALLERY.files))
    const origin = own(await startOrigin(site))
    const files = await siteFiles(site)
    const context = own(await visitor(browser))
    const page = await context.newPage()
    await page.goto(origin.url)
    await installed(page)
    // No wait beyond `ready`: the next page is asked for in the same turn the promise resolves in.
    const next = origin.url + 'about/'
    const ready = await page.evaluate(url => (window as unknown as { planktos: { ready: Promise<boolean> } }).planktos.ready.then(ok => {
      if (ok) setTimeout(() => { location.href = url })
      return ok
    }), next)
    assert.ok(ready, 'the worker took over')
    await page.waitForURL(next, { waitUntil: 'load' })
    await installed(page)
    await assertRendered(page, files, 'about/')
    assert.ok(origin.log.some(e => e.url === '/about/'), 'the origin sent the new page')
    assert.equal(twice(origin, site.base), [], `no site file was sent twice; the origin sent ${origin.log.map(e => `${e.url} ${e.status}`).join(', ')}`)
  })
}, ALL_BROWSERS)
