// The site's 404 page while the origin is down: an in-scope URL the manifest does not know gets the site's own 404
// page with status 404 once the visitor's browser holds it; without one, the navigation fails as it would offline.
import * as assert from 'uvu/assert'
import { ALL_BROWSERS, assertNavigation, firstVisit, stay, until } from './helpers/browsers.ts'
import { storeUntil } from './helpers/redeploy.ts'
import { buildSite, siteFiles, startOrigin, type Origin, type TestSite } from './helpers/site.ts'
import { browserSuites } from './helpers/suite.ts'

const PAGE_404 = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Not found</title></head>
<body><h1 id="title">No such page here</h1></body>
</html>
`

browserSuites(name => `${name}: offline 404`, ({ test, name }) => {
  let site: TestSite | undefined
  let origin: Origin | undefined

  test.after.each(async () => {
    await origin?.close()
    await site?.remove()
    origin = site = undefined
  })

  test("with the origin down, an unknown in-scope URL gets the site's 404 page with status 404", async ({ browser }) => {
    site = await buildSite({}, { '404.html': PAGE_404 })
    assert.is(site.manifest.notFound, '404.html')
    origin = await startOrigin(site)
    const notFound = (await siteFiles(site)).get('404.html')!
    const page = await firstVisit(browser, origin.url)
    await stay(page)
    await until(page, 'the first page to be stored', s => (s.worker?.stored ?? 0) >= 3)
    // Online, the origin answers as usual; its 404 page is kept from that answer, with no request of its own.
    const online = await page.goto(origin.url + 'no/such/page/')
    assertNavigation(online, { status: 404 }, 'online')
    assert.is(await page.textContent('#title'), 'No such page here')
    await storeUntil(page, 'the 404 page to be stored', shas => shas.has(notFound.sha256))
    assert.not.ok(origin.log.some(e => e.url === '/404.html'), 'the 404 page was never asked for by name')

    await origin.close()
    const offline = await page.goto(origin.url + 'another/missing.html')
    assertNavigation(offline, { status: 404, source: 'store' }, 'offline')
    assert.is(await page.textContent('#title'), 'No such page here')
    // Known pages still come from the store.
    const home = await page.goto(origin.url)
    assertNavigation(home, { status: 200 }, 'home')
    assert.is(await page.textContent('#title'), 'Planktos test site')
    await page.context().close()
  })

  test('with the origin down and no 404 page, an unknown URL fails as it would without planktos', async ({ browser }) => {
    site = await buildSite()
    assert.is(site.manifest.notFound, null)
    origin = await startOrigin(site)
    const page = await firstVisit(browser, origin.url)
    await stay(page)
    await until(page, 'the first page to be stored', s => (s.worker?.stored ?? 0) >= 3)
    await origin.close()
    let failed = false
    await page.goto(origin.url + 'no/such/page/').catch(() => { failed = true })
    assert.ok(failed, 'the navigation failed')
    await page.context().close()
  })
}, ALL_BROWSERS)
