// planktos-web/astro: real Astro builds of small fixture sites (and of sites/astro), checked on disk.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, dev, type AstroInlineConfig, type AstroIntegration } from 'astro'
import starlight from '@astrojs/starlight'
import planktos, { fromAstroConfig } from '../integrations/astro.ts'
import { normalizeOptions, OptionError } from '../integrations/options.ts'
import { siteRoutes } from '../runtime/shared/urls.ts'
import { assertPacked, captured, outputFiles, readManifest } from './helpers/packed.ts'

// Astro would otherwise phone home (telemetry, update check); the tests use no network.
process.env.ASTRO_TELEMETRY_DISABLED = '1'
process.env.ASTRO_DISABLE_UPDATE_CHECK = 'true'

const REPO = fileURLToPath(new URL('..', import.meta.url))
const FIXTURES = join(REPO, 'test/fixtures/astro')
const TRACKER = 'ws://127.0.0.1:1'
const DEFAULT_PARAMS = ['utm_*', 'fbclid', 'gclid']

// Projects are copied under the repository (test-results/ is git-ignored), not to the OS temp dir: Astro
// resolves its own and Starlight's modules from the project, so the project must sit above node_modules.
const made: string[] = []
async function project (fixture: string, extra: Record<string, string> = {}): Promise<string> {
  await mkdir(join(REPO, 'test-results'), { recursive: true })
  const root = await mkdtemp(join(REPO, 'test-results', 'astro-'))
  made.push(root)
  await cp(join(FIXTURES, fixture), root, { recursive: true })
  for (const [path, text] of Object.entries(extra)) await writeFile(join(root, path), text)
  return root
}
async function cleanup (): Promise<void> {
  await Promise.all(made.splice(0).map(dir => rm(dir, { recursive: true, force: true })))
}


/** Builds the project at `root` with an inline config (no config file); returns the output folder and the log. */
async function astroBuild (root: string, config: AstroInlineConfig): Promise<{ out: string, log: string }> {
  const { log } = await captured(() => build({ root, configFile: false, logLevel: 'info', ...config }))
  return { out: join(root, 'dist'), log }
}


const summaries = (log: string): string[] => log.split('\n').filter(line => /\[planktos-web\] \d+ files \(/.test(line))
const warnings = (log: string): string[] => log.split('\n').filter(line => /\[WARN\] \[planktos-web\]/.test(line))

const builds = suite('astro build')
builds.after(cleanup)

builds('packs every file Astro wrote, optimized images and public files included, and tags every page', async () => {
  const root = await project('basic')
  const { out, log } = await astroBuild(root, { integrations: [planktos({ announce: [TRACKER] })] })
  const { manifest, files } = await assertPacked(out, '/')
  for (const path of ['index.html', 'about/index.html', 'blog/first-post/index.html', '404.html', 'files/notes.txt', 'favicon.svg']) {
    assert.ok(files.has(path), path)
  }
  assert.ok([...files.keys()].some(p => /^_astro\/dot\..*\.webp$/.test(p)), 'the optimized image')
  assert.is(manifest.notFound, '404.html')
  assert.equal(manifest.routes, { directoryIndex: 'index.html' })
  assert.equal(manifest.settings.announce, [TRACKER])
  assert.equal(manifest.settings.ignoreSearchParams, DEFAULT_PARAMS)
  const lines = summaries(log)
  assert.is(lines.length, 1, log)
  assert.match(lines[0]!, /4 of 4 pages tagged/)
  assert.equal(warnings(log), [])
})

builds('takes the base from Astro\'s base, and the web-seed origin from Astro\'s site', async () => {
  const root = await project('basic')
  const { out, log } = await astroBuild(root, {
    base: '/docs',
    site: 'https://example.com/docs/',
    trailingSlash: 'always',
    integrations: [planktos({ announce: [TRACKER] })]
  })
  const { manifest, files } = await assertPacked(out, '/docs/')
  assert.is(manifest.site, 'https://example.com')
  assert.ok(files.has('about/index.html'), 'paths are relative to the base')
  assert.equal(warnings(log), [])
})

builds('with build.format "file", lists about.html and has the worker serve /about from it', async () => {
  const root = await project('basic')
  const { out, log } = await astroBuild(root, { build: { format: 'file' }, integrations: [planktos({ announce: [TRACKER] })] })
  const { manifest, files } = await assertPacked(out, '/')
  assert.ok(files.has('about.html'))
  assert.ok(files.has('blog/first-post.html'))
  assert.not.ok(files.has('about/index.html'))
  assert.equal(manifest.routes, { directoryIndex: 'index.html', extension: '.html' })
  assert.equal(warnings(log), [])
  // The rule the worker applies to this manifest, for the URL Astro links the page as.
  const rules = { origin: 'https://example.com', base: '/', ignoreSearchParams: [], ...manifest.routes }
  const route = siteRoutes('https://example.com/blog/first-post', 'GET', rules)?.find(r => files.has(r.path))
  assert.equal(route, { path: 'blog/first-post.html' })
})

builds('with build.format "preserve", also serves /about from about.html', async () => {
  const root = await project('basic')
  const { out } = await astroBuild(root, { build: { format: 'preserve' }, integrations: [planktos({ announce: [TRACKER] })] })
  const { manifest, files } = await assertPacked(out, '/')
  assert.ok(files.has('about.html'))
  assert.equal(manifest.routes, { directoryIndex: 'index.html', extension: '.html' })
})

builds('with trailingSlash "never" under a base, keeps folder pages, which the worker reaches by redirecting /docs/about', async () => {
  const root = await project('basic')
  const { out, log } = await astroBuild(root, { base: '/docs/', trailingSlash: 'never', integrations: [planktos({ announce: [TRACKER] })] })
  const { manifest, files } = await assertPacked(out, '/docs/')
  assert.ok(files.has('about/index.html'))
  assert.equal(manifest.routes, { directoryIndex: 'index.html' })
  assert.equal(warnings(log), [])
  const rules = { origin: 'https://example.com', base: '/docs/', ignoreSearchParams: [], ...manifest.routes }
  const route = siteRoutes('https://example.com/docs/about', 'GET', rules)?.find(r => files.has(r.path))
  assert.equal(route, { path: 'about/index.html', redirect: 'https://example.com/docs/about/' })
})

builds('packs files that integrations listed after it write in astro:build:done', async () => {
  const root = await project('basic')
  const late: AstroIntegration = {
    name: 'late-writer',
    hooks: { 'astro:build:done': async ({ dir }) => { await writeFile(new URL('late.txt', dir), 'written last') } }
  }
  const { out } = await astroBuild(root, { integrations: [planktos({ announce: [TRACKER] }), late] })
  const { files } = await assertPacked(out, '/')
  assert.ok(files.has('late.txt'))
})

builds('packs only the client folder when an adapter keeps client and server apart', async () => {
  const root = await project('basic')
  const adapter: AstroIntegration = {
    name: 'split-host',
    hooks: {
      'astro:config:done': ({ setAdapter }) => setAdapter({
        name: 'split-host',
        entrypointResolution: 'auto',
        adapterFeatures: { buildOutput: 'static', preserveBuildClientDir: true },
        supportedAstroFeatures: { staticOutput: 'stable', sharpImageService: 'stable' }
      })
    }
  }
  const { out } = await astroBuild(root, { integrations: [planktos({ announce: [TRACKER] }), adapter] })
  const { files } = await assertPacked(join(out, 'client'), '/')
  assert.ok(files.has('index.html'))
  assert.not.ok(await exists(join(out, 'planktos')), 'nothing is written beside the client folder')
})

const options = suite('astro options')
options.after(cleanup)

options('an unknown option in astro.config.mjs fails the build with a message that names it', async () => {
  const root = await project('basic', {
    'astro.config.mjs': "import planktos from 'planktos-web/astro'\nexport default { integrations: [planktos({ shardSise: '1MiB' })] }\n"
  })
  let error: Error | undefined
  try {
    await captured(() => build({ root, logLevel: 'error' }))
  } catch (err) {
    error = err as Error
  }
  assert.ok(error, 'the build failed')
  assert.match(error!.message, 'shardSise')
  assert.match(error!.message, 'planktos-web/astro')
  assert.not.ok(await exists(join(root, 'dist/planktos')))
})

options('a bad value, or a base of its own, is refused with the option named', () => {
  const named = (fn: () => unknown): string => {
    try {
      fn()
    } catch (err) {
      assert.instance(err, OptionError)
      return `${(err as OptionError).option}: ${(err as Error).message}`
    }
    return 'no error'
  }
  assert.match(named(() => planktos({ prefetch: 'some' as 'all' })), /^prefetch: .*"none", "pages", "all"/)
  assert.match(named(() => planktos({ base: '/docs/' })), /^base: .*Astro `base`/)
})

options('uses the site given to planktos over Astro\'s, and Astro\'s base over nothing', () => {
  const own = normalizeOptions({ site: 'https://cdn.example.org' }, { adapter: 'astro' })
  const options = fromAstroConfig(own, { base: '/docs', site: 'https://example.com/docs/', build: { format: 'directory' } })
  assert.is(options.site, 'https://cdn.example.org')
  assert.is(options.base, '/docs/')
  assert.is(fromAstroConfig(normalizeOptions({}, { adapter: 'astro' }), { base: '/', site: undefined, build: { format: 'directory' } }).site, null)
})

options('turns clean URLs on for file pages, and keeps them on when the user asked for them', () => {
  const astro = (format: 'directory' | 'file' | 'preserve', cleanUrls?: boolean): boolean =>
    fromAstroConfig(normalizeOptions({ cleanUrls }, { adapter: 'astro' }), { base: '/', site: undefined, build: { format } }).cleanUrls
  assert.equal([astro('directory'), astro('file'), astro('preserve'), astro('directory', true)], [false, true, true, true])
})

const astroAdd = suite('npx astro add planktos-web')

astroAdd('finds what astro add needs: the astro-integration keyword and the factory as the package root\'s default export', async () => {
  const pkg = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8'))
  assert.ok(pkg.keywords.includes('astro-integration'))
  // astro add writes `import planktosWeb from 'planktos-web'` and `integrations: [planktosWeb()]`.
  const root = await import('../integrations/index.ts') as { default?: unknown }
  assert.is(root.default, planktos)
  assert.is((root.default as typeof planktos)().name, 'planktos-web')
})


const devServer = suite('astro dev')
devServer.after(cleanup)

devServer('serves pages without the install tag, the kill switch at the worker\'s URL, and writes no planktos files', async () => {
  const root = await project('basic')
  const { value: server } = await captured(() => dev({
    root, configFile: false, logLevel: 'warn', devToolbar: { enabled: false },
    server: { host: '127.0.0.1', port: 0 },
    integrations: [planktos({ announce: [TRACKER] })]
  }))
  try {
    const origin = `http://127.0.0.1:${server.address.port}`
    const page = await fetch(`${origin}/about/`, { signal: AbortSignal.timeout(20_000) })
    assert.is(page.status, 200)
    const html = await page.text()
    assert.match(html, '<h1>About</h1>')
    assert.not.match(html, 'data-planktos')
    assert.not.match(html, 'planktos/install.js')
    // Only the kill switch at the worker's URL, so a browser that previewed a planktos build here lets go of its worker.
    const worker = await fetch(`${origin}/planktos-sw.js`, { signal: AbortSignal.timeout(20_000) })
    assert.is(worker.status, 200)
    assert.match(worker.headers.get('content-type') ?? '', 'text/javascript')
    const firstLine = (await worker.text()).split('\n')[0]!
    assert.match(firstLine, '"killSwitch":true')
    assert.match(firstLine, '"reload":true')
    assert.is((await fetch(`${origin}/planktos/manifest.json`, { signal: AbortSignal.timeout(20_000) })).status, 404)
  } finally {
    await server.stop()
  }
  assert.not.ok(await exists(join(root, 'dist')))
})

const withStarlight = suite('astro with Starlight')
withStarlight.after(cleanup)

withStarlight('packs Starlight\'s Pagefind index though planktos is listed first, and ignores Pagefind\'s ts parameter', async () => {
  const root = await project('starlight')
  const { out, log } = await astroBuild(root, { integrations: [planktos({ announce: [TRACKER] }), starlight({ title: 'Fixture docs' })] })
  const { manifest, files } = await assertPacked(out, '/')
  assert.ok(files.has('guide/index.html'))
  assert.ok(files.has('pagefind/pagefind-entry.json'), 'Pagefind\'s entry file')
  assert.ok(files.has('pagefind/pagefind.js'))
  assert.equal(manifest.settings.ignoreSearchParams, [...DEFAULT_PARAMS, 'ts'])
  // Pagefind ran first: its log line comes before planktos' summary.
  assert.ok(log.indexOf('[starlight:pagefind] Finished') < log.indexOf(summaries(log)[0]!), log)
})

const example = suite('sites/astro')
example.after(cleanup)

example('builds with its own astro.config.mjs, the tracker and ICE servers from the environment, and packs all its output', async () => {
  const out = await mkdtemp(join(REPO, 'test-results', 'astro-site-'))
  made.push(out)
  const saved = { announce: process.env.PLANKTOS_ANNOUNCE, ice: process.env.PLANKTOS_ICE }
  process.env.PLANKTOS_ANNOUNCE = TRACKER
  process.env.PLANKTOS_ICE = 'none'
  try {
    await captured(() => build({ root: join(REPO, 'sites/astro'), outDir: out, logLevel: 'info' }))
  } finally {
    restoreEnv('PLANKTOS_ANNOUNCE', saved.announce)
    restoreEnv('PLANKTOS_ICE', saved.ice)
  }
  const { manifest, files } = await assertPacked(out, '/')
  assert.equal(manifest.settings.announce, [TRACKER])
  assert.equal(manifest.settings.rtcConfig, { iceServers: [] })
  for (const path of ['index.html', 'about/index.html', 'blog/index.html', 'blog/harbour-tune/index.html', '404.html']) assert.ok(files.has(path), path)
  assert.ok(files.get('media/tune.wav')!.size > 2_000_000, 'the audio file')
  const paths = [...files.keys()]
  for (const kind of [/^_astro\/.*\.css$/, /^_astro\/.*\.js$/, /^_astro\/harbour\..*\.webp$/]) assert.ok(paths.some(p => kind.test(p)), String(kind))
})

function restoreEnv (name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name]
  else process.env[name] = value
}

async function exists (path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}

builds.run()
astroAdd.run()
options.run()
devServer.run()
withStarlight.run()
example.run()
