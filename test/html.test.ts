import { readFileSync } from 'node:fs'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { findCssReferences, mayReferenceFiles } from '../integrations/builder/css.ts'
import { analyzePage, findServiceWorkerRegistration, findSubresources, injectInstallTag } from '../integrations/builder/html.ts'
import { resolveSitePath } from '../integrations/builder/urls.ts'

const fixture = (name: string) => readFileSync(new URL(`./fixtures/html/${name}`, import.meta.url), 'utf8')

const SRC = '/planktos/install.js'
const TAG = '<script src="/planktos/install.js" async data-planktos></script>'

const inject = suite('injectInstallTag')

inject('puts the tag right after <meta charset> in the head', () => {
  const page = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Hi</title></head><body><p>Hi</p></body></html>'
  assert.equal(injectInstallTag(page, SRC), {
    html: `<!doctype html><html lang="en"><head><meta charset="utf-8">${TAG}<title>Hi</title></head><body><p>Hi</p></body></html>`,
    changed: true,
  })
})

inject('puts the tag right after a <head> with attributes when there is no charset', () => {
  const page = '<!doctype html><html><head prefix="og: https://ogp.me/ns#"><title>Hi</title></head><body></body></html>'
  assert.is(injectInstallTag(page, SRC).html, `<!doctype html><html><head prefix="og: https://ogp.me/ns#">${TAG}<title>Hi</title></head><body></body></html>`)
})

inject('reads uppercase tags', () => {
  const page = '<!DOCTYPE HTML><HTML><HEAD><META CHARSET="UTF-8"><TITLE>Hi</TITLE></HEAD><BODY></BODY></HTML>'
  assert.is(injectInstallTag(page, SRC).html, `<!DOCTYPE HTML><HTML><HEAD><META CHARSET="UTF-8">${TAG}<TITLE>Hi</TITLE></HEAD><BODY></BODY></HTML>`)
})

inject('recognises a charset given by http-equiv and XHTML-style self-closing tags', () => {
  const page = '<!DOCTYPE html><html xmlns="http://www.w3.org/1999/xhtml"><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8" /><link rel="stylesheet" href="a.css" /></head><body><br /></body></html>'
  assert.is(injectInstallTag(page, SRC).html, `<!DOCTYPE html><html xmlns="http://www.w3.org/1999/xhtml"><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8" />${TAG}<link rel="stylesheet" href="a.css" /></head><body><br /></body></html>`)
})

inject('keeps a UTF-8 BOM first', () => {
  assert.is(injectInstallTag('\ufeff<!doctype html><html><head><title>Hi</title></head></html>', SRC).html, `\ufeff<!doctype html><html><head>${TAG}<title>Hi</title></head></html>`)
  assert.is(injectInstallTag('\ufeff<p>Hi</p>', SRC).html, `\ufeff${TAG}<p>Hi</p>`)
})

inject('goes after <html> when the page has no <head>', () => {
  assert.is(injectInstallTag('<!doctype html><html lang="en"><title>Hi</title><p>Hi', SRC).html, `<!doctype html><html lang="en">${TAG}<title>Hi</title><p>Hi`)
})

inject('goes after the doctype when the page has neither <html> nor <head>', () => {
  assert.is(injectInstallTag('<!doctype html><title>Hi</title><p>Hi', SRC).html, `<!doctype html>${TAG}<title>Hi</title><p>Hi`)
})

inject('goes first in a fragment with no doctype', () => {
  assert.is(injectInstallTag('<p>Hi</p>', SRC).html, `${TAG}<p>Hi</p>`)
})

inject('goes after a bare <meta charset> of a page without <head>', () => {
  assert.is(injectInstallTag('<!doctype html><meta charset=utf-8><title>Hi</title>', SRC).html, `<!doctype html><meta charset=utf-8>${TAG}<title>Hi</title>`)
})

inject('ignores <head> written inside a comment', () => {
  const page = '<!doctype html><!-- the <head> comes next --><html><head><title>Hi</title></head></html>'
  assert.is(injectInstallTag(page, SRC).html, `<!doctype html><!-- the <head> comes next --><html><head>${TAG}<title>Hi</title></head></html>`)
})

inject('ignores <head> written inside a script string', () => {
  const page = '<!doctype html><html><script>const t = "<head><meta charset=utf-8>"</script><body><p>Hi</p></body></html>'
  assert.is(injectInstallTag(page, SRC).html, `<!doctype html><html>${TAG}<script>const t = "<head><meta charset=utf-8>"</script><body><p>Hi</p></body></html>`)
})

inject('ignores a <meta charset> that sits in the body', () => {
  const page = '<!doctype html><html><head><title>Hi</title></head><body><meta charset="utf-8"></body></html>'
  assert.is(injectInstallTag(page, SRC).html, `<!doctype html><html><head>${TAG}<title>Hi</title></head><body><meta charset="utf-8"></body></html>`)
})

inject('escapes the src for an attribute', () => {
  assert.is(injectInstallTag('<head></head>', '/a&b/"x".js').html, '<head><script src="/a&amp;b/&quot;x&quot;.js" async data-planktos></script></head>')
})

inject('changes nothing the second time', () => {
  const page = '<!doctype html><html><head><meta charset="utf-8"><title>Hi</title></head></html>'
  const once = injectInstallTag(page, SRC).html
  assert.equal(injectInstallTag(once, SRC), { html: once, changed: false })
  assert.is(once, `<!doctype html><html><head><meta charset="utf-8">${TAG}<title>Hi</title></head></html>`)
})

inject('updates an older install tag in place instead of adding a second', () => {
  const page = '<!doctype html><html><head><title>Hi</title><script async data-planktos src="/old/install.js"></script></head></html>'
  assert.equal(injectInstallTag(page, SRC), {
    html: `<!doctype html><html><head><title>Hi</title>${TAG}</head></html>`,
    changed: true,
  })
})

inject('keeps one tag when a page carries two', () => {
  const page = `<head>${TAG}<title>Hi</title></head><body><script src="/x.js" data-planktos async></script></body>`
  assert.is(injectInstallTag(page, SRC).html, `<head>${TAG}<title>Hi</title></head><body></body>`)
})

inject('does not count an install tag inside a comment', () => {
  const page = `<head><!-- ${TAG} --></head>`
  assert.is(injectInstallTag(page, SRC).html, `<head>${TAG}<!-- ${TAG} --></head>`)
})

inject.run()

const worker = suite('findServiceWorkerRegistration')

worker('finds a registration in script text', () => {
  assert.ok(findServiceWorkerRegistration("navigator.serviceWorker.register('/sw.js')"))
  assert.ok(findServiceWorkerRegistration('"serviceWorker"in navigator&&navigator.serviceWorker.register("/sw.js",{scope:"/"})'))
  assert.ok(findServiceWorkerRegistration('navigator.serviceWorker?.register ("/sw.js")'))
})

worker('does not mistake other uses of the worker API for a registration', () => {
  assert.not.ok(findServiceWorkerRegistration('if (navigator.serviceWorker.controller) location.reload()'))
})

worker('finds a registration in an inline script of a page', () => {
  assert.ok(findServiceWorkerRegistration('<!doctype html><html><body><script type="module">navigator.serviceWorker.register("/sw.js")</script></body></html>'))
  assert.ok(findServiceWorkerRegistration('\ufeff<!doctype html><script>navigator.serviceWorker.register("/sw.js")</script>'))
})

worker('ignores a page that only shows the call as text or data', () => {
  assert.not.ok(findServiceWorkerRegistration('<!doctype html><pre><code>navigator.serviceWorker.register("/sw.js")</code></pre>'))
  assert.not.ok(findServiceWorkerRegistration('<!doctype html><script type="application/ld+json">{"text":"navigator.serviceWorker.register("}</script>'))
})

worker.run()

const urls = suite('resolveSitePath')

urls('resolves against the folder of the file', () => {
  assert.is(resolveSitePath('a.png', 'blog/post/index.html', '/'), 'blog/post/a.png')
  assert.is(resolveSitePath('../a.png', 'blog/post/index.html', '/'), 'blog/a.png')
  assert.is(resolveSitePath('./img/./a.png', 'blog/post/index.html', '/'), 'blog/post/img/a.png')
  assert.is(resolveSitePath('/a.png', 'blog/post/index.html', '/'), 'a.png')
})

urls('drops query strings and fragments', () => {
  assert.is(resolveSitePath('/app.js?v=3#main', 'index.html', '/'), 'app.js')
  assert.is(resolveSitePath('#top', 'index.html', '/'), null)
  assert.is(resolveSitePath('', 'index.html', '/'), null)
})

urls('decodes each segment, and keeps one that fails to decode', () => {
  assert.is(resolveSitePath('/images/a%20b.png', 'index.html', '/'), 'images/a b.png')
  assert.is(resolveSitePath('/images/caf%C3%A9.png', 'index.html', '/'), 'images/café.png')
  assert.is(resolveSitePath('/images/café.png', 'index.html', '/'), 'images/café.png')
  assert.is(resolveSitePath('/images/a+b.png', 'index.html', '/'), 'images/a+b.png')
  assert.is(resolveSitePath('/images/c%23.png', 'index.html', '/'), 'images/c#.png')
  assert.is(resolveSitePath('/images/c#.png', 'index.html', '/'), 'images/c')
  assert.is(resolveSitePath('/100%/a%zz.png', 'index.html', '/'), '100%/a%zz.png')
})

urls('resolves against a folder whose name needs escaping in a URL', () => {
  assert.is(resolveSitePath('a.png', '100% #1?/index.html', '/'), '100% #1?/a.png')
})

urls('reads backslashes as slashes', () => {
  assert.is(resolveSitePath('images\\a.png', 'index.html', '/'), 'images/a.png')
  assert.is(resolveSitePath('\\\\cdn.example\\a.png', 'index.html', '/'), null)
})

urls('drops other origins and schemes', () => {
  for (const ref of ['https://cdn.example/a.js', 'http://x/a.js', '//cdn.example/a.js', 'data:image/png;base64,AAAA', 'blob:https://x/1', 'mailto:a@b.c', 'javascript:void(0)']) {
    assert.is(resolveSitePath(ref, 'index.html', '/'), null, ref)
  }
})

urls('maps paths under the base and drops paths outside it', () => {
  assert.is(resolveSitePath('/docs/_astro/x.css', 'index.html', '/docs/'), '_astro/x.css')
  assert.is(resolveSitePath('x.css', 'blog/index.html', '/docs/'), 'blog/x.css')
  assert.is(resolveSitePath('/other/x.css', 'index.html', '/docs/'), null)
  assert.is(resolveSitePath('/docs', 'index.html', '/docs/'), null)
  assert.is(resolveSitePath('../x.css', 'index.html', '/docs/'), null)
  assert.is(resolveSitePath('../../../docs/x.css', 'a/index.html', '/docs/'), 'x.css')
})

urls('stops `..` at the host root as browsers do', () => {
  assert.is(resolveSitePath('../../x.css', 'index.html', '/'), 'x.css')
})

urls('treats percent-encoded dots as dot segments', () => {
  assert.is(resolveSitePath('%2e%2E/x.css', 'a/index.html', '/'), 'x.css')
  assert.is(resolveSitePath('%2e%2e/x.css', 'index.html', '/docs/'), null)
})

urls('drops a path that decoding makes escape, or that no file could have', () => {
  assert.is(resolveSitePath('%2e%2e%2fsecret', 'a/index.html', '/'), null)
  assert.is(resolveSitePath('x%00.png', 'index.html', '/'), null)
  assert.is(resolveSitePath('/a%2Fb.png', 'index.html', '/'), null)
  assert.is(resolveSitePath('/a%5Cb.png', 'index.html', '/'), null)
  assert.is(resolveSitePath('/a//b.png', 'index.html', '/'), null)
})

urls.run()

const subresources = suite('findSubresources')

subresources('lists the files links, scripts and images load, in document order', () => {
  const page = '<head><link rel="stylesheet" href="/a.css"><link rel="canonical" href="/x/"><link rel="alternate" href="/feed.xml"><link rel="prefetch" href="/next.html"><link rel="shortcut icon" href="/favicon.ico"><link rel="modulepreload" href="/m.js"><script src="/s.js"></script></head><body><img src="i.png"><input type="image" src="go.png"><input type="text" src="no.png"><object data="o.pdf"></object><embed src="e.swf"></body>'
  assert.equal(findSubresources(page, 'index.html'), ['a.css', 'favicon.ico', 'm.js', 's.js', 'i.png', 'go.png', 'o.pdf', 'e.swf'])
})

subresources('reads media sources, posters and tracks', () => {
  const page = '<video src="v.mp4" poster="p.jpg"><source src="v.webm"><track src="t.vtt"></video><audio src="a.mp3"></audio>'
  assert.equal(findSubresources(page, 'index.html'), ['v.mp4', 'p.jpg', 'v.webm', 't.vtt', 'a.mp3'])
})

subresources('splits srcset candidates and drops their descriptors', () => {
  const page = '<picture><source srcset="a.avif 1x, a@2x.avif 2x" type="image/avif"><img src="a.jpg" srcset="a-400.jpg 400w,a-800.jpg   800w , a-1200.jpg"></picture>'
  assert.equal(findSubresources(page, 'index.html'), ['a.avif', 'a@2x.avif', 'a.jpg', 'a-400.jpg', 'a-800.jpg', 'a-1200.jpg'])
})

subresources('keeps commas inside srcset URLs and ends a URL at a trailing comma', () => {
  const page = '<img srcset="w_400,h_300/a.jpg 1x, w_800,h_600/a.jpg 2x"><img srcset="b.jpg,c.jpg 2x"><img srcset="d.jpg, e.jpg (future, descriptor) 3x,f.jpg,">'
  assert.equal(findSubresources(page, 'index.html'), ['w_400,h_300/a.jpg', 'w_800,h_600/a.jpg', 'b.jpg,c.jpg', 'd.jpg', 'e.jpg', 'f.jpg'])
})

subresources('reads a preload image set', () => {
  const page = '<link rel="preload" as="image" href="h.jpg" imagesrcset="h-1x.jpg 1x, h-2x.jpg 2x">'
  assert.equal(findSubresources(page, 'index.html'), ['h.jpg', 'h-1x.jpg', 'h-2x.jpg'])
})

subresources('reads image and use references in inline SVG', () => {
  const page = '<svg><image href="a.png"/><image xlink:href="b.png"/><use href="sprite.svg#icon"/><use href="#local"/></svg>'
  assert.equal(findSubresources(page, 'index.html'), ['a.png', 'b.png', 'sprite.svg'])
})

subresources('reads url() in style elements and style attributes', () => {
  const page = '<style>.a{background:url("bg.png")}/* url(no.png) */</style><div style="background-image:url(&quot;d.png&quot;)"></div>'
  assert.equal(findSubresources(page, 'index.html'), ['bg.png', 'd.png'])
})

subresources('resolves against the page folder and decodes names', () => {
  const page = '<img src="a%20b.png"><img src="a b.png"><img src="../up.png"><img src="caf%C3%A9.png"><img src="café.png"><img src="c%23.png">'
  assert.equal(findSubresources(page, 'blog/post/index.html'), ['blog/post/a b.png', 'blog/up.png', 'blog/post/café.png', 'blog/post/c#.png'])
})

subresources('resolves against <base href>', () => {
  const page = '<head><base href="/sub/"></head><img src="a.png"><img src="/root.png">'
  assert.equal(findSubresources(page, 'blog/index.html'), ['sub/a.png', 'root.png'])
  assert.equal(findSubresources('<base href="assets/"><img src="a.png">', 'blog/index.html'), ['blog/assets/a.png'])
  assert.equal(findSubresources('<base target="_blank"><base href="/x/"><img src="a.png">', 'index.html'), ['x/a.png'])
})

subresources('lists nothing when <base href> moves the page to another origin', () => {
  assert.equal(findSubresources('<base href="https://cdn.example/"><img src="a.png"><img src="/b.png">', 'index.html'), [])
})

subresources('drops other origins, fragments, folders and duplicates, and ignores comments and script text', () => {
  const page = '<img src="https://x.example/a.png"><img src="//x.example/b.png"><img src="data:image/gif;base64,R0lGOD"><use href="#i"></use><object data="/embed/"></object><!-- <img src="c.png"> --><script>const s = "<img src=d.png>"</script><img src="e.png?v=1"><img src="e.png#x">'
  assert.equal(findSubresources(page, 'index.html'), ['e.png'])
})

subresources('skips what <noscript> holds, which a browser running planktos never loads', () => {
  const page = '<head><noscript><link rel="stylesheet" href="no-js.css"><style>.x{background:url(n.png)}</style></noscript></head><body><noscript><img src="pixel.gif"></noscript><img src="a.png"></body>'
  assert.equal(findSubresources(page, 'index.html'), ['a.png'])
})

subresources('maps absolute paths under the base and drops those outside', () => {
  const page = '<link rel="stylesheet" href="/docs/_astro/x.css"><img src="/other/y.png"><img src="../../z.png">'
  assert.equal(findSubresources(page, 'blog/index.html', '/docs/'), ['_astro/x.css'])
})

subresources('lists the files of a built Astro page', () => {
  assert.equal(findSubresources(fixture('astro-post.html'), 'blog/first-post/index.html', '/docs/'), [
    'favicon.svg',
    'apple-touch-icon.png',
    'site.webmanifest',
    'fonts/atkinson-regular.woff',
    'fonts/atkinson-bold.woff',
    '_astro/about.CQ8dBRbd.css',
    '_astro/hero-bg.B8sNd0Xq.webp',
    '_astro/hoisted.DkE3C1Hk.js',
    '_astro/preact.module.Bq1sYdf2.js',
    'icons.svg',
    '_astro/blog-placeholder-3.Dd3EBn4F_Z1eQEzI.webp',
    '_astro/blog-placeholder-3.Dd3EBn4F_1jyB9q.webp',
    '_astro/trail map.C1a2b3.avif',
    '_astro/trail map.C1a2b3@2x.avif',
    'images/trail map.jpg',
    'images/café-diagram.svg',
    'media/intro-poster.jpg',
    'media/intro.webm',
    'media/intro.mp4',
    'media/intro.en.vtt',
    '_astro/Counter.BQ_w9Hn2.js',
    '_astro/client.Cx2LnvPm.js',
    'icons/mastodon.png',
  ])
})

subresources('injecting the install tag into the Astro page changes only the insertion point', () => {
  const page = fixture('astro-post.html')
  const anchor = '<meta charset="utf-8">'
  const at = page.indexOf(anchor) + anchor.length
  const { html } = injectInstallTag(page, '/docs/planktos/install.js')
  assert.is(html, page.slice(0, at) + '<script src="/docs/planktos/install.js" async data-planktos></script>' + page.slice(at))
})

subresources.run()

const css = suite('findCssReferences')

css('reads quoted, unquoted and escaped url()', () => {
  const sheet = '.a{background:url(a.png)}.b{background:url( "b.png" )}.c{background:url(\'c.png\')}.d{mask:url(d\\ e.svg)}.e{background:u\\72l(e\\.png)}'
  assert.equal(findCssReferences(sheet, 'css/site.css'), ['css/a.png', 'css/b.png', 'css/c.png', 'css/d e.svg', 'css/e.png'])
})

css('lists @import targets without following them', () => {
  const sheet = '@import "a.css";@import url(b.css) layer(base);@import url("c.css") supports(display: grid) screen;@import"d.css";'
  assert.equal(findCssReferences(sheet, 'css/site.css'), ['css/a.css', 'css/b.css', 'css/c.css', 'css/d.css'])
})

css('reads image-set() sources but not their type()', () => {
  const sheet = '.h{background-image:image-set("h.avif" type("image/avif") 1x,url(h.webp) 2x);background-image:-webkit-image-set("h2.avif" 1x)}'
  assert.equal(findCssReferences(sheet, 'site.css'), ['h.avif', 'h.webp', 'h2.avif'])
})

css('reads @font-face sources and skips format() and local()', () => {
  const sheet = '@font-face{font-family:X;src:local("X Regular"),url(/fonts/x.woff2) format("woff2"),url(/fonts/x.woff) format("woff")}'
  assert.equal(findCssReferences(sheet, '_astro/site.css'), ['fonts/x.woff2', 'fonts/x.woff'])
})

css('skips comments and ordinary strings', () => {
  const sheet = '/* url(a.png) @import "b.css"; */q:before{content:"url(c.png)"}.x{background:url(d.png)}/*# sourceMappingURL=site.css.map */'
  assert.equal(findCssReferences(sheet, 'site.css'), ['d.png'])
})

css('drops other origins, data URLs, fragments and paths outside the base', () => {
  const sheet = '@import "https://fonts.example/css";.a{background:url(data:image/png;base64,AAAA)}.b{filter:url(#blur)}.c{background:url(/other/x.png)}.d{background:url(/docs/y.png)}'
  assert.equal(findCssReferences(sheet, '_astro/site.css', '/docs/'), ['y.png'])
})

css('lists the files of a minified Astro stylesheet', () => {
  assert.equal(findCssReferences(fixture('about.CQ8dBRbd.css'), '_astro/about.CQ8dBRbd.css', '/docs/'), [
    '_astro/reset.Dq3Lm0aT.css',
    'fonts/atkinson-regular.woff',
    'fonts/atkinson-bold.woff',
    '_astro/inter-cyrillic-ext-wght-normal.B2xhLi22.woff2',
    '_astro/hero.Bx1Qz9.avif',
    '_astro/hero@2x.Bx1Qz9.avif',
    '_astro/hero.Bx1Qz9.webp',
    '_astro/bg tile.png',
    '_astro/icons/close icon.svg',
  ])
})

css('rules out only sheets that name no URL, however the name is spelled', () => {
  const may = (sheet: string) => mayReferenceFiles(Buffer.from(sheet))
  for (const sheet of ['a{b:url(x.png)}', 'a{b:URL( "x.png" )}', 'a{b:u\\72 l(x.png)}', 'a{b:\\75rl(x.png)}', 'a{b:image-set("x.png" 1x)}', 'a{b:-WEBKIT-IMAGE-SET("x.png" 1x)}', '@IMPORT "x.css";', '@\\69mport "x.css";']) {
    assert.ok(may(sheet), sheet)
    assert.ok(findCssReferences(sheet, 'site.css').length > 0, sheet)
  }
  for (const sheet of ['body{color:red}', '.i:before{content:"\\f101"}', '@media (min-width:40em){a{b:c}}', 'a{b:url (x.png)}', '']) {
    assert.not.ok(may(sheet), sheet)
  }
  assert.ok(mayReferenceFiles(Buffer.from(fixture('about.CQ8dBRbd.css'))))
})

css.run()

const analyze = suite('analyzePage')

// The three questions asked separately, each parsing the page on its own.
function separately (html: string, pagePath: string, base: string, src: string | null) {
  const placed = src === null ? { html, changed: false } : injectInstallTag(html, src)
  return { ...placed, subresources: findSubresources(html, pagePath, base), registersWorker: findServiceWorkerRegistration(html) }
}

analyze('answers all three questions about a page from one reading of it', () => {
  const page = '<!doctype html><html><head><meta charset="utf-8"><base href="/blog/"><link rel="stylesheet" href="s.css"><style>.a{background:url(bg.png)}</style></head><body><noscript><img src="no.png"></noscript><img src="a.png" srcset="a@2x.png 2x"><script>navigator.serviceWorker.register("/sw.js")</script></body></html>'
  assert.equal(analyzePage(page, 'index.html', '/', SRC), {
    html: page.replace('<meta charset="utf-8">', `<meta charset="utf-8">${TAG}`),
    changed: true,
    subresources: ['blog/s.css', 'blog/bg.png', 'blog/a.png', 'blog/a@2x.png'],
    registersWorker: true,
  })
})

analyze('leaves the page as it is when there is no install tag to add', () => {
  const page = '<!doctype html><head><title>Hi</title></head><img src="a.png">'
  assert.equal(analyzePage(page, 'index.html', '/', null), { html: page, changed: false, subresources: ['a.png'], registersWorker: false })
})

analyze('finds a registration in inline SVG, where a script\'s character references are decoded', () => {
  const page = '<!doctype html><svg><script>navigator.serviceWork&#101;r.register("/sw.js")</script></svg>'
  assert.ok(analyzePage(page, 'index.html', '/', SRC).registersWorker)
  assert.ok(findServiceWorkerRegistration(page))
})

analyze('agrees with the separate functions on the built Astro page', () => {
  const page = fixture('astro-post.html')
  for (const src of ['/docs/planktos/install.js', null]) {
    assert.equal(analyzePage(page, 'blog/first-post/index.html', '/docs/', src), separately(page, 'blog/first-post/index.html', '/docs/', src))
  }
})

analyze('agrees with the separate functions on pages that are easy to get wrong', () => {
  const pages = [
    '',
    'plain text that mentions navigator.serviceWorker.register("/sw.js")',
    '\ufeff<p>Hi <img src="a.png"></p>',
    `<!DOCTYPE HTML><HTML><HEAD><META CHARSET="UTF-8">${TAG}<TITLE>Hi</TITLE></HEAD><BODY><IMG SRC="A.PNG"></BODY></HTML>`,
    `<head>${TAG}<title>Hi</title></head><body><script src="/x.js" data-planktos async></script><script src="/app.js"></script></body>`,
    `<head><!-- ${TAG} <img src="c.png"> --></head><body><script>const s = "<head><img src=d.png>"</script></body>`,
    '<!doctype html><html><script>navigator.serviceWorker?.register ("/sw.js")</script><body><p>Hi</p></body></html>',
    '<!doctype html><pre><code>navigator.serviceWorker.register("/sw.js")</code></pre><script type="application/ld+json">{"a":"navigator.serviceWorker.register("}</script>',
    '<base href="https://cdn.example/"><img src="a.png"><script>navigator.serviceWorker.register("/sw.js")</script>',
    '<head><noscript><link rel="stylesheet" href="n.css"><style>.x{background:url(n.png)}</style></noscript><style>.y{background:url(y.png)}</style></head><div style="background:url(&quot;d.png&quot;)"></div>',
    '<svg><image href="a.png"/><use xlink:href="sprite.svg#i"/><script>navigator.serviceWork&#101;r.register("/sw.js")</script></svg>',
    '<!doctype html><title>Unclosed <script>navigator.serviceWorker.register("/sw.js")',
  ]
  for (const page of pages) {
    for (const src of [SRC, null]) {
      assert.equal(analyzePage(page, 'blog/index.html', '/', src), separately(page, 'blog/index.html', '/', src), JSON.stringify(page))
    }
  }
})

analyze.run()

const media = suite('analyzePage: media elements held back for the worker')
const HELD = (kept: string) => `preload="none" data-planktos-preload="${kept}"`
// The body after the install tag, which goes at the start of a page without a head.
const held = (body: string, base = '/', pagePath = 'watch/index.html') => {
  const out = analyzePage(body, pagePath, base, SRC).html
  assert.ok(out.startsWith(TAG), out)
  return out.slice(TAG.length)
}

media('holds back a site media element that would load while the page is parsed, keeping its own preload', () => {
  assert.is(held('<audio src="clip.wav" preload="metadata" controls></audio>'), `<audio src="clip.wav" ${HELD('metadata')} controls></audio>`)
  assert.is(held('<video controls preload="auto" src="/v.mp4"></video>'), `<video controls ${HELD('auto')} src="/v.mp4"></video>`)
  // No preload: the mark is empty, and install.js takes the attribute away again (the browser's default applies).
  assert.is(held('<video src="v.mp4"></video>'), `<video ${HELD('')} src="v.mp4"></video>`)
  // An empty preload="" means auto.
  assert.is(held('<audio preload src="a.mp3"></audio>'), `<audio ${HELD('auto')} src="a.mp3"></audio>`)
  // Any case, any quoting; the author's attribute is taken out, not shadowed by a duplicate.
  assert.is(held(`<VIDEO Controls PRELOAD='auto' SRC=v.mp4 ></VIDEO>`), `<VIDEO Controls ${HELD('auto')} SRC=v.mp4 ></VIDEO>`)
  assert.is(held('<audio preload=metadata\n\tsrc=a.mp3></audio>'), `<audio ${HELD('metadata')}\n\tsrc=a.mp3></audio>`)
  // Not a keyword once blanks surround it (a browser does not trim it, and loads): kept as written.
  assert.is(held('<audio preload=" none " src="a.mp3"></audio>'), `<audio ${HELD(' none ')} src="a.mp3"></audio>`)
  // A repeated preload: a browser keeps the first, so that is the one kept and taken out.
  assert.is(held('<audio preload="auto" preload="none" src="a.mp3"></audio>'), `<audio ${HELD('auto')} preload="none" src="a.mp3"></audio>`)
})

media('holds back an element whose <source> is a site file, under the site\'s base too', () => {
  assert.is(held('<video><source src="https://cdn.example/v.webm"><source src="v.mp4"></video>'), `<video ${HELD('')}><source src="https://cdn.example/v.webm"><source src="v.mp4"></video>`)
  assert.is(held('<audio src="/docs/a.mp3"></audio>', '/docs/', 'x.html'), `<audio ${HELD('')} src="/docs/a.mp3"></audio>`)
})

media('leaves alone what would not load early, what no worker answers, and what no script restores', () => {
  const pages = [
    '<audio src="a.mp3" preload="none"></audio>',
    '<audio src="a.mp3" preload="NONE"></audio>',
    '<video src="v.mp4" autoplay muted></video>',
    '<video src="https://cdn.example/v.mp4"></video>',
    '<video src="/v.mp4"></video>', // outside the base below
    '<video><source src="https://cdn.example/v.webm"></video>',
    // A browser ignores <source> children when the element has a src.
    '<video src="https://cdn.example/v.mp4"><source src="v.mp4"></video>',
    '<video></video>',
    '<noscript><audio src="a.mp3"></audio></noscript>',
    '<template><video src="v.mp4"></video></template>',
    '<base href="https://cdn.example/"><audio src="a.mp3"></audio>',
    `<audio ${HELD('metadata')} src="a.mp3"></audio>`,
  ]
  for (const page of pages) assert.is(held(page, '/docs/', 'x.html'), page, page)
  // A file the build does not share (excluded, or missing) is the origin's either way.
  assert.is(analyzePage('<audio src="a.mp3"></audio>', 'x.html', '/', SRC, path => path !== 'a.mp3').html, `${TAG}<audio src="a.mp3"></audio>`)
  assert.is(analyzePage('<audio src="a.mp3"></audio>', 'x.html', '/', SRC, path => path === 'a.mp3').html, `${TAG}<audio ${HELD('')} src="a.mp3"></audio>`)
  // And pages that get no install tag keep their media as they are: nothing would restore them.
  assert.is(analyzePage('<audio src="a.mp3"></audio>', 'x.html', '/', null).html, '<audio src="a.mp3"></audio>')
})

media('changes nothing the second time, and holds back each element of a page', () => {
  const page = '<head><title>Hi</title></head><body><audio src="a.mp3"></audio><p>and</p><video preload="auto"><source src="b.mp4"></video></body>'
  const once = analyzePage(page, 'index.html', '/', SRC)
  assert.is(once.html, `<head>${TAG}<title>Hi</title></head><body><audio ${HELD('')} src="a.mp3"></audio><p>and</p><video ${HELD('auto')}><source src="b.mp4"></video></body>`)
  const twice = analyzePage(once.html, 'index.html', '/', SRC)
  assert.equal({ html: twice.html, changed: twice.changed }, { html: once.html, changed: false })
})

media.run()
