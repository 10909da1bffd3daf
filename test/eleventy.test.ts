// planktos-web/eleventy: real Eleventy builds of a small fixture site (and of sites/eleventy), checked on disk.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { readdir, readFile, stat } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Eleventy, HtmlBasePlugin } from '@11ty/eleventy'
import planktos, { type EleventyConfig } from '../integrations/eleventy.ts'
import { OptionError, type Options } from '../integrations/options.ts'
import { assertPacked, captured, outputFiles, readManifest } from './helpers/packed.ts'
import { cleanup, tempDir } from './helpers/fs.ts'
import { planktos as planktosCli } from './helpers/cli.ts'

const REPO = fileURLToPath(new URL('..', import.meta.url))
const FIXTURES = join(REPO, 'test/fixtures/eleventy')
// Relative to the working directory, as Eleventy expects: with an absolute input, passthrough copies keep the whole path.
const SITE = relative(process.cwd(), join(FIXTURES, 'site'))
const TRACKER = 'ws://127.0.0.1:1'
const PAGES = ['404.html', 'about/index.html', 'blog/first-post/index.html', 'index.html']

interface RunOptions {
  /** Options for planktos, added by an inline config; leave out to use the config file only. */
  plugin?: Options
  configPath?: string
  pathPrefix?: string
  runMode?: 'build' | 'serve' | 'watch'
  htmlBase?: boolean
}

/** Builds the fixture site into a fresh folder with Eleventy's programmatic API; returns the folder and the log. */
async function eleventy (run: RunOptions = {}, into?: string): Promise<{ out: string, log: string }> {
  const out = into ?? await tempDir('planktos-eleventy-')
  const elev = new Eleventy(SITE, out, {
    // Without one, Eleventy looks in the working directory (the repository root), which has no config file.
    configPath: run.configPath,
    pathPrefix: run.pathPrefix,
    runMode: run.runMode,
    config (eleventyConfig: EleventyConfig & { addTemplateFormats (f: string): void, addPlugin (p: unknown, o?: unknown): void }) {
      if (run.configPath) return
      eleventyConfig.addTemplateFormats('css')
      if (run.htmlBase) eleventyConfig.addPlugin(HtmlBasePlugin)
      if (run.plugin) eleventyConfig.addPlugin(planktos, run.plugin)
    }
  })
  const { log } = await captured(() => elev.write())
  return { out, log }
}



async function assertUntouched (dir: string): Promise<void> {
  const files = await outputFiles(dir)
  assert.equal(files.filter(f => f.endsWith('.html')), PAGES)
  assert.not.ok(await exists(join(dir, 'planktos')), 'no planktos folder')
  // Only the kill switch at the worker's URL, so a browser that previewed a planktos build here lets go of its worker.
  const worker = await readFile(join(dir, 'planktos-sw.js'), 'utf8')
  assert.match(worker.split('\n')[0]!, '"killSwitch":true')
  assert.match(worker.split('\n')[0]!, '"reload":true')
  for (const page of PAGES) assert.not.match(await readFile(join(dir, page), 'utf8'), 'data-planktos', page)
}

const summaries = (log: string): string[] => log.split('\n').filter(line => /^\[planktos\] \d+ files \(/.test(line))

async function exists (path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}

const builds = suite('eleventy build')
builds.after(cleanup)

builds('packs every file Eleventy wrote, passthrough copies included, tags every page and logs one [planktos] line', async () => {
  const { out, log } = await eleventy({ plugin: { announce: [TRACKER] } })
  const { manifest, files } = await assertPacked(out, '/')
  assert.equal([...files.keys()].sort(), [...PAGES, 'style.css'].sort())
  assert.is(manifest.notFound, '404.html')
  assert.equal(manifest.settings.announce, [TRACKER])
  assert.equal(files.get('index.html')!.deps, ['style.css'])
  const lines = summaries(log)
  assert.is(lines.length, 1, log)
  assert.match(lines[0]!, /4 of 4 pages tagged/)
})

builds('maps only folder URLs by default, and /about to about.html with cleanUrls: true', async () => {
  const plain = await assertPacked((await eleventy({ plugin: { announce: [TRACKER] } })).out, '/')
  assert.equal(plain.manifest.routes, { directoryIndex: 'index.html' })
  const clean = await assertPacked((await eleventy({ plugin: { announce: [TRACKER], cleanUrls: true } })).out, '/')
  assert.equal(clean.manifest.routes, { directoryIndex: 'index.html', extension: '.html' })
})

builds('takes the base from pathPrefix, paths staying relative to it', async () => {
  const { out } = await eleventy({ plugin: { announce: [TRACKER] }, pathPrefix: '/docs/' })
  const { files } = await assertPacked(out, '/docs/')
  assert.ok(files.has('about/index.html'))
  // Without the HTML base plugin, the page's links are left as written (outside the base).
  assert.is(files.get('index.html')!.deps, undefined)
})

builds('with the HTML base plugin and pathPrefix, the prefixed links resolve to the site\'s files and the tag is not prefixed twice', async () => {
  const { out } = await eleventy({ plugin: { announce: [TRACKER] }, pathPrefix: '/docs/', htmlBase: true })
  const { files } = await assertPacked(out, '/docs/')
  const html = await readFile(join(out, 'index.html'), 'utf8')
  assert.match(html, 'href="/docs/style.css"')
  assert.not.match(html, '/docs/docs/')
  assert.equal(files.get('index.html')!.deps, ['style.css'])
})

builds('an unknown option stops the build before Eleventy writes, with a message that names it', async () => {
  const out = await tempDir('planktos-eleventy-')
  const elev = new Eleventy(SITE, out, { configPath: join(FIXTURES, 'bad-option/eleventy.config.js') })
  let error: Error | undefined
  try {
    await captured(() => elev.write())
  } catch (err) {
    error = err as Error
  }
  assert.ok(error, 'the build failed')
  // Eleventy wraps it ("Error processing the `planktos` plugin") and prints the original below.
  const messages = [error!.message, (error as Error & { originalError?: Error }).originalError?.message].join('\n')
  assert.match(messages, 'shardSise')
  assert.match(messages, 'planktos-web/eleventy')
  assert.equal(await readdir(out), [])
})

builds('checks the Eleventy version against package.json\'s 11ty.compatibility, as Eleventy\'s own plugins do', () => {
  const ranges: string[] = []
  planktos({ versionCheck (range: string) { ranges.push(range) }, on () {} })
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'))
  assert.equal(ranges, [pkg['11ty'].compatibility])
  assert.is(pkg.peerDependencies['@11ty/eleventy'].replace(/^\^(\d+).*$/, '>=$1'), pkg['11ty'].compatibility)
})

builds('a config that adds the plugin twice (a theme and the site) builds once', async () => {
  const out = await tempDir('planktos-eleventy-')
  const elev = new Eleventy(SITE, out, {
    config (eleventyConfig: { addPlugin (p: unknown, o?: unknown): void }) {
      eleventyConfig.addPlugin(planktos, { announce: [TRACKER] })
      eleventyConfig.addPlugin(planktos, { announce: [TRACKER] })
    }
  })
  const { log } = await captured(() => elev.write())
  assert.is(summaries(log).length, 1, log)
  await assertPacked(out, '/')
})

builds('a bad value, or a base of its own, is refused with the option named', () => {
  const config: EleventyConfig = { versionCheck () {}, on () {} }
  const named = (options: Options): string => {
    try {
      planktos(config, options)
    } catch (err) {
      assert.instance(err, OptionError)
      return `${(err as OptionError).option}: ${(err as Error).message}`
    }
    return 'no error'
  }
  assert.match(named({ update: 'later' as 'auto' }), /^update: .*"auto", "prompt"/)
  assert.match(named({ base: '/docs/' }), /^base: .*Eleventy `pathPrefix`/)
})

const configFiles = suite('eleventy config files')
configFiles.after(cleanup)

configFiles('an ES module .eleventy.js that imports planktos-web/eleventy, with pathPrefix in its exported config', async () => {
  const { out } = await eleventy({ configPath: join(FIXTURES, 'config-esm/.eleventy.js') })
  const { files } = await assertPacked(out, '/notes/')
  assert.ok(files.has('style.css'))
})

configFiles('a CommonJS eleventy.config.cjs that requires planktos-web/eleventy', async () => {
  const { out } = await eleventy({ configPath: join(FIXTURES, 'config-cjs/eleventy.config.cjs') })
  await assertPacked(out, '/')
})

const modes = suite('eleventy --serve and --watch')
modes.after(cleanup)

modes('a serve build packs nothing, and puts the kill switch at the worker\'s URL', async () => {
  const { out, log } = await eleventy({ plugin: { announce: [TRACKER] }, runMode: 'serve' })
  await assertUntouched(out)
  assert.equal(summaries(log), [])
})

modes('a watch build packs nothing, and puts the kill switch at the worker\'s URL', async () => {
  const { out } = await eleventy({ plugin: { announce: [TRACKER] }, runMode: 'watch' })
  await assertUntouched(out)
})

modes('a serve build into the output of a planktos build removes its manifest and torrents', async () => {
  const { out } = await eleventy({ plugin: { announce: [TRACKER] } })
  await assertPacked(out, '/')
  await eleventy({ plugin: { announce: [TRACKER] }, runMode: 'serve' }, out)
  await assertUntouched(out)
})

modes('with dev: true, serve and watch builds are packed too', async () => {
  for (const runMode of ['serve', 'watch'] as const) {
    const { out } = await eleventy({ plugin: { announce: [TRACKER], dev: true }, runMode })
    await assertPacked(out, '/')
  }
})

modes('JSON output (eleventy --to=json) writes nothing', async () => {
  const out = await tempDir('planktos-eleventy-')
  const elev = new Eleventy(SITE, out, {
    config (eleventyConfig: { addPlugin (p: unknown, o?: unknown): void }) { eleventyConfig.addPlugin(planktos, { announce: [TRACKER] }) }
  })
  const { value: pages } = await captured(() => elev.toJSON())
  assert.is((pages as unknown[]).length, 4)
  assert.equal(await readdir(out), [])
})

const example = suite('sites/eleventy')
example.after(cleanup)

example('builds with its own eleventy.config.js from its folder, the tracker and ICE servers from the environment, and packs all its output', async () => {
  const out = await tempDir('planktos-eleventy-site-')
  // As a user would run it: the eleventy command in the site's folder.
  const { code, log } = await run(process.execPath, [join(REPO, 'node_modules/@11ty/eleventy/cmd.cjs'), `--output=${out}`], {
    cwd: join(REPO, 'sites/eleventy'),
    env: { ...process.env, PLANKTOS_ANNOUNCE: TRACKER, PLANKTOS_ICE: 'none' }
  })
  assert.is(code, 0, log)
  const { manifest, files } = await assertPacked(out, '/')
  assert.equal(manifest.settings.announce, [TRACKER])
  assert.equal(manifest.settings.rtcConfig, { iceServers: [] })
  for (const path of ['index.html', 'about/index.html', 'blog/index.html', 'blog/harbour-tune/index.html', '404.html']) assert.ok(files.has(path), path)
  assert.ok(files.get('media/tune.wav')!.size > 2_000_000, 'the audio file')
  const paths = [...files.keys()]
  for (const kind of [/^bundle\/.*\.css$/, /^bundle\/.*\.js$/, /^img\/.*\.webp$/, /^img\/.*\.jpeg$/]) assert.ok(paths.some(p => kind.test(p)), String(kind))
  assert.is(summaries(log).length, 1, log)
  // Page subresources on real generator output: the home page's bundled stylesheet and script, and its
  // images in every size and format eleventy-img wrote into its srcset.
  const deps = files.get('index.html')!.deps ?? []
  for (const kind of [/^bundle\/.*\.css$/, /^bundle\/.*\.js$/, /^img\/.*\.webp$/, /^img\/.*\.jpeg$/]) assert.ok(deps.some(p => kind.test(p)), `${kind} in ${deps}`)
  assert.ok(deps.every(p => files.has(p)), 'every dependency is a site file')
})

const cli = suite('planktos build on Eleventy output')
cli.after(cleanup)

cli('packs the output of a plain Eleventy build (no plugin) like the plugin does', async () => {
  const { out } = await eleventy()
  assert.equal((await readdir(out)).filter(n => n.startsWith('planktos')), [], 'no planktos files yet')
  const result = await planktosCli(['build', out, '--announce', TRACKER])
  assert.is(result.code, 0, result.stderr)
  const { files } = await assertPacked(out, '/')
  for (const path of PAGES) assert.ok(files.has(path), path)
  assert.equal(files.get('index.html')!.deps, ['style.css'])
})

function run (command: string, args: string[], options: { cwd: string, env: NodeJS.ProcessEnv }): Promise<{ code: number | null, log: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] })
    let log = ''
    child.stdout.on('data', chunk => { log += chunk })
    child.stderr.on('data', chunk => { log += chunk })
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
    child.on('error', reject)
    child.on('close', code => {
      clearTimeout(timer)
      resolve({ code, log: log.replace(/\x1b\[[0-9;]*m/g, '') })
    })
  })
}

builds.run()
configFiles.run()
modes.run()
example.run()
cli.run()
