// URLs that name a page without its file name, as static hosts serve them: with clean URLs `/contact` is
// `contact.html`, and `/about` (a folder with an index) is redirected to `/about/`. The worker must do the same,
// also with the origin down.
import * as assert from 'uvu/assert'
import { ALL_BROWSERS, assertNavigation, firstVisit, imagesLoaded, until } from './helpers/browsers.ts'
import { reported } from './helpers/hooks.ts'
import { buildSite, startOrigin, type TestSite } from './helpers/site.ts'
import { browserSuites } from './helpers/suite.ts'

// A page written as a file beside the home page, as Astro's `build.format: 'file'` writes them: its relative
// references resolve from /contact exactly as from /contact.html.
const CONTACT = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Contact</title><link rel="stylesheet" href="style.css"></head>
<body>
<h1 id="title">Write to us</h1>
<img src="img/logo.svg" alt="logo" width="64" height="64">
</body>
</html>
`

let site: TestSite | undefined

browserSuites(name => `${name}: routes`, ({ test }) => {
  test.before(reported(async (ctx) => {
    site ??= await buildSite({ cleanUrls: true }, { 'contact.html': CONTACT })
  }))

  test('serves /contact from contact.html and redirects /about to /about/, online and with the origin down', async ({ browser }) => {
    assert.equal(site!.manifest.routes, { directoryIndex: 'index.html', extension: '.html' })
    const origin = await startOrigin(site!)
    try {
      const page = await firstVisit(browser, origin.url)
      const contact = await page.goto(origin.url + 'contact')
      assertNavigation(contact, { source: true }, '/contact')
      assert.is(await page.textContent('#title'), 'Write to us')
      assert.ok(await imagesLoaded(page))
      const about = await page.goto(origin.url + 'about')
      assert.is(await page.url(), origin.url + 'about/')
      assertNavigation(about, { source: true }, '/about/')
      assert.is(await page.textContent('#title'), 'About this site')
      // index.html, style.css, logo.svg, contact.html, about/index.html, photo.svg
      await until(page, 'the pages to be stored', s => (s.worker?.stored ?? 0) >= 6)

      await origin.close()
      await page.goto(origin.url + 'contact')
      assert.is(await page.textContent('#title'), 'Write to us', '/contact with the origin down')
      assert.ok(await imagesLoaded(page))
      await page.goto(origin.url + 'about')
      assert.is(await page.url(), origin.url + 'about/', 'the worker itself redirects /about')
      assert.is(await page.textContent('#title'), 'About this site', '/about with the origin down')
      assert.ok(await imagesLoaded(page), 'relative images resolve from /about/')
    } finally {
      await origin.close()
    }
  })
}, ALL_BROWSERS)

// uvu runs the suites queued above; the built site is removed at exit.
process.once('beforeExit', () => { void site?.remove() })
