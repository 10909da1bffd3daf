// Which requests the worker treats as site files, and how a site path becomes a URL again.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { fileUrl, sitePath, siteRoutes, type Route, type UrlRules } from '../runtime/shared/urls.ts'

const rules: UrlRules = {
  origin: 'https://example.com',
  base: '/docs/',
  ignoreSearchParams: ['utm_*', 'fbclid'],
  directoryIndex: 'index.html'
}
const at = (path: string, method = 'GET'): string | null => sitePath(`https://example.com${path}`, method, rules)

const maps = suite('sitePath maps site URLs to file paths')

maps('the base itself is the root index page', () => {
  assert.is(at('/docs/'), 'index.html')
})

maps('a directory URL is its index page', () => {
  assert.is(at('/docs/guide/intro/'), 'guide/intro/index.html')
})

maps('a file URL is the file', () => {
  assert.is(at('/docs/img/logo.svg'), 'img/logo.svg')
  assert.is(at('/docs/guide/index.html'), 'guide/index.html')
})

maps('each segment is percent-decoded once', () => {
  assert.is(at('/docs/notes/plain%20text%20%C3%A9.txt'), 'notes/plain text é.txt')
  assert.is(at('/docs/a+b.txt'), 'a+b.txt')
})

maps('the URL parser resolves dot segments before the rules apply', () => {
  assert.is(at('/docs/guide/../img/a.png'), 'img/a.png')
  assert.is(at('/docs/guide/%2e%2e/img/a.png'), 'img/a.png')
})

maps('a fragment does not matter', () => {
  assert.is(at('/docs/about/#team'), 'about/index.html')
})

maps.run()

const query = suite('sitePath and query strings')

query('ignored parameters are dropped, by exact name or by prefix before *', () => {
  assert.is(at('/docs/?utm_source=news&utm_medium=mail'), 'index.html')
  assert.is(at('/docs/about/?fbclid=abc'), 'about/index.html')
})

query('an empty query string is no query string', () => {
  assert.is(at('/docs/?'), 'index.html')
})

query('any other parameter sends the request to the network', () => {
  assert.is(at('/docs/search/?q=planktos'), null)
  assert.is(at('/docs/?utm_source=x&page=2'), null)
  assert.is(at('/docs/?fbclid2=1'), null)
  assert.is(at('/docs/?flag'), null)
})

query.run()

const network = suite('sitePath leaves other requests to the network')

network('methods other than GET', () => {
  for (const method of ['POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']) assert.is(at('/docs/', method), null, method)
})

network('other origins, schemes and ports', () => {
  assert.is(sitePath('https://cdn.example.com/docs/', 'GET', rules), null)
  assert.is(sitePath('http://example.com/docs/', 'GET', rules), null)
  assert.is(sitePath('https://example.com:8443/docs/', 'GET', rules), null)
})

network('paths outside the base, including the base without its slash', () => {
  assert.is(at('/'), null)
  assert.is(at('/docs'), null)
  assert.is(at('/docsearch/'), null)
  assert.is(at('/docs/../secret.txt'), null)
  assert.is(at('/docs/%2e%2e/secret.txt'), null)
})

network("planktos' own files", () => {
  assert.is(at('/docs/planktos/install.js'), null)
  assert.is(at('/docs/planktos/manifest.json'), null)
  assert.is(at('/docs/planktos-sw.js'), null)
})

network('not a URL at all', () => {
  assert.is(sitePath('not a url', 'GET', rules), null)
})

network.run()

const unsafe = suite('sitePath refuses paths that could escape the site')

unsafe('double-encoded dot segments and separators', () => {
  assert.is(at('/docs/%252e%252e/secret.txt'), null)
  assert.is(at('/docs/a/%252E%252E/b'), null)
  assert.is(at('/docs/a%252Fb'), null)
  assert.is(at('/docs/a%255Cb'), null)
})

unsafe('encoded separators, backslashes and NUL', () => {
  assert.is(at('/docs/a%2Fb.txt'), null)
  assert.is(at('/docs/a%5Cb.txt'), null)
  assert.is(at('/docs/a%00.txt'), null)
})

unsafe('empty segments and malformed escapes', () => {
  assert.is(at('/docs/a//b.txt'), null)
  assert.is(at('/docs/%E0%A4%A.txt'), null)
  assert.is(at('/docs/%zz.txt'), null)
})

unsafe.run()

const routes = suite('siteRoutes: which files may answer a URL, best first')
const clean: UrlRules = { ...rules, extension: '.html' }
const routesAt = (path: string, r = rules): Route[] | null => siteRoutes(`https://example.com${path}`, 'GET', r)

routes('a folder URL has one route, its index page', () => {
  assert.equal(routesAt('/docs/'), [{ path: 'index.html' }])
  assert.equal(routesAt('/docs/guide/'), [{ path: 'guide/index.html' }])
})

routes('a URL without a slash is the file itself, else a redirect to the folder URL when the folder has an index', () => {
  assert.equal(routesAt('/docs/guide'), [
    { path: 'guide' },
    { path: 'guide/index.html', redirect: 'https://example.com/docs/guide/' }
  ])
})

routes('the redirect keeps the query string and drops the fragment', () => {
  assert.equal(routesAt('/docs/guide?utm_source=x#part')?.[1], { path: 'guide/index.html', redirect: 'https://example.com/docs/guide/?utm_source=x' })
})

routes('the redirect keeps the URL\'s own percent-encoding', () => {
  assert.equal(routesAt('/docs/caf%C3%A9')?.[1], { path: 'café/index.html', redirect: 'https://example.com/docs/caf%C3%A9/' })
})

routes('with an extension, /about is about, then about.html, then the about/ redirect', () => {
  assert.equal(routesAt('/docs/about', clean), [
    { path: 'about' },
    { path: 'about.html' },
    { path: 'about/index.html', redirect: 'https://example.com/docs/about/' }
  ])
  assert.equal(routesAt('/docs/blog/first-post', clean)?.[1], { path: 'blog/first-post.html' })
})

routes('with an extension, a name that already ends with it, or a folder URL, gets no second one', () => {
  assert.equal(routesAt('/docs/about.html', clean)?.map(r => r.path), ['about.html', 'about.html/index.html'])
  assert.equal(routesAt('/docs/about/', clean), [{ path: 'about/index.html' }])
})

routes('without an extension (or with null), /about never becomes about.html', () => {
  assert.not.ok(routesAt('/docs/about')?.some(r => r.path === 'about.html'))
  assert.not.ok(routesAt('/docs/about', { ...rules, extension: null })?.some(r => r.path === 'about.html'))
})

routes('planktos\' own files are never a route, with or without an extension', () => {
  assert.is(routesAt('/docs/planktos', clean)?.some(r => r.path.startsWith('planktos/')), false)
  assert.is(routesAt('/docs/planktos-sw.js', clean), null)
  assert.is(routesAt('/docs/planktos/manifest', clean), null)
})

routes('requests left to the network have no routes', () => {
  assert.is(siteRoutes('https://example.com/docs/about', 'POST', clean), null)
  assert.is(routesAt('/docs/about?page=2', clean), null)
  assert.is(routesAt('/docs/a//b', clean), null)
  assert.is(routesAt('/elsewhere/about', clean), null)
})

routes('sitePath is the first route\'s path', () => {
  for (const path of ['/docs/', '/docs/about', '/docs/guide/intro/', '/docs/img/a.png']) {
    assert.is(sitePath(`https://example.com${path}`, 'GET', clean), routesAt(path, clean)![0]!.path, path)
  }
})

routes.run()

const encode = suite('fileUrl')

encode('percent-encodes every segment and keeps the slashes', () => {
  assert.is(fileUrl('/docs/', 'notes/plain text é.txt'), '/docs/notes/plain%20text%20%C3%A9.txt')
  assert.is(fileUrl('/', 'a#b?c%d.txt'), '/a%23b%3Fc%25d.txt')
})

encode('round-trips through sitePath', () => {
  for (const path of ['index.html', 'notes/plain text é.txt', 'a#b?c%d.txt', 'x/y z/ü.png']) {
    assert.is(at(fileUrl('/docs/', path)), path)
  }
})

encode.run()
