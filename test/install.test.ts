// planktos-web as a user installs it: a clean copy of the tree packs a complete package (prepare builds dist/), and
// the tarball installs from the npm registry into fresh Eleventy and Astro projects, with install scripts disabled
// and enabled, with no native module and no install script of its own dependencies, and builds them.
// Slow (a few npm installs; the npm cache is shared) but Node only: no browser, no lock.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { execFileSync, spawn } from 'node:child_process'
import { cp, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { assertPacked } from './helpers/packed.ts'
import { cleanup, isFile, tempDir, writeTree } from './helpers/fs.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const ownPackage = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'))
const ENTRY_POINTS = ['dist/integrations/astro.js', 'dist/integrations/eleventy.js', 'dist/integrations/cli/index.js',
  'dist/integrations/index.js', 'dist/runtime/sw.js', 'dist/runtime/install.js', 'dist/runtime/downloader.js',
  'dist/runtime/overlay.js']
const HOSTS = { eleventy: `@11ty/eleventy@${ownPackage.peerDependencies['@11ty/eleventy']}`, astro: `astro@${ownPackage.peerDependencies.astro}` }

interface Run { code: number | null, output: string }

/** Runs a command with this Node first on PATH and none of the parent `npm test`'s npm_* settings. */
function run (command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) || key === 'npm_config_cache'))
  return new Promise(resolve => {
    const child = spawn(command, args, {
      cwd, env: { ...clean, PATH: `${dirname(process.execPath)}:${process.env.PATH}`, ...env }, stdio: ['ignore', 'pipe', 'pipe']
    })
    let output = ''
    child.stdout.on('data', chunk => { output += chunk })
    child.stderr.on('data', chunk => { output += chunk })
    child.on('close', code => resolve({ code, output }))
  })
}

async function ok (command: string, args: string[], cwd: string, env?: Record<string, string>): Promise<string> {
  const r = await run(command, args, cwd, env)
  assert.is(r.code, 0, `${command} ${args.join(' ')} failed:\n${r.output}`)
  return r.output
}

/** The tracked and not-ignored files of the tree, as a clean clone would have them, with the tree's node_modules. */
async function cleanCopy (): Promise<string> {
  const dir = await tempDir('planktos-install-src-')
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean)
  for (const file of files) {
    if (await isFile(join(root, file))) await cp(join(root, file), join(dir, file))
  }
  // Installing the dev dependencies again would test npm ci, not the package; dist/ is what must be built here.
  await symlink(join(root, 'node_modules'), join(dir, 'node_modules'))
  return dir
}

/** A fresh project with the tarball and `extra` installed; scripts `off` (--ignore-scripts) or `on` (every one runs). */
async function project (tarball: string, extra: string[], scripts: 'off' | 'on'): Promise<string> {
  const dir = await tempDir('planktos-install-')
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'fresh-site', private: true, type: 'module' }))
  const flags = scripts === 'off' ? ['--ignore-scripts'] : []
  // npm 11.x blocks dependency install scripts unless approved; "enabled" means every one of them runs.
  const env = scripts === 'on' ? { npm_config_dangerously_allow_all_scripts: 'true' } : {}
  await ok('npm', ['install', '--no-audit', '--no-fund', ...flags, tarball, ...extra], dir, env)
  return dir
}

/** A fresh project with the tarball and `extra` added by pnpm (from the registry, through npx), approving no script. */
async function pnpmProject (tarball: string, extra: string[]): Promise<{ dir: string, output: string }> {
  const dir = await tempDir('planktos-install-pnpm-')
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'fresh-site', private: true, type: 'module' }))
  const output = await ok('npx', ['--yes', 'pnpm@12', 'add', tarball, ...extra], dir)
  return { dir, output }
}

/** Every installed package that runs code at install time or carries a native binary. */
async function installTimeCode (dir: string): Promise<string[]> {
  const found: string[] = []
  const entries = await readdir(join(dir, 'node_modules'), { recursive: true, withFileTypes: true })
  for (const entry of entries) {
    const path = join(entry.parentPath, entry.name)
    if (entry.isFile() && (entry.name.endsWith('.node') || entry.name === 'binding.gyp')) found.push(path.slice(dir.length + 1))
    if (!entry.isFile() || entry.name !== 'package.json' || !/node_modules[\\/](@[^\\/]+[\\/])?[^@\\/][^\\/]*$/.test(entry.parentPath)) continue
    const pkg = JSON.parse(await readFile(path, 'utf8'))
    for (const script of ['preinstall', 'install', 'postinstall']) {
      if (pkg.scripts?.[script]) found.push(`${pkg.name} (${script}: ${pkg.scripts[script]})`)
    }
    if (pkg.gypfile) found.push(`${pkg.name} (gypfile)`)
  }
  return found
}

let tarball = ''
let tarballFiles: string[] = []

const pack = suite('npm pack of a clean copy')
pack.before(async () => {
  const src = await cleanCopy()
  assert.not.ok(await isFile(join(src, 'dist/integrations/cli/index.js')), 'the copy must start without dist/')
  const out = await tempDir('planktos-install-tgz-')
  await ok('npm', ['pack', '--pack-destination', out], src)
  tarball = join(out, `${ownPackage.name}-${ownPackage.version}.tgz`)
  tarballFiles = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean).map(f => f.replace(/^package\//, ''))
})

pack('holds every entry point, and only dist/, the README, the licence and package.json', () => {
  for (const entry of ENTRY_POINTS) assert.ok(tarballFiles.includes(entry), `${entry} is missing from the tarball`)
  assert.equal(tarballFiles.filter(f => !/^(dist\/|README\.md$|LICENSE$|package\.json$)/.test(f)), [])
})

pack('installs alone with no install script and no native module in its dependencies, and its bin runs', async () => {
  const dir = await project(tarball, [], 'off')
  assert.equal(await installTimeCode(dir), [])
  assert.is((await ok('node_modules/.bin/planktos', ['--version'], dir)).trim(), ownPackage.version)
  assert.match(await ok('node_modules/.bin/planktos', ['--help'], dir), /^Usage: planktos /)
  // The tracker's server is an optional peer dependency: without it, one sentence and a non-zero exit.
  const tracker = await run('node_modules/.bin/planktos', ['tracker', '--port', '0'], dir)
  assert.is(tracker.code, 1)
  assert.match(tracker.output, /^[^\n]*bittorrent-tracker[^\n]*\.\n$/)
})

pack.run()

const PAGE = '<!doctype html><html><head><title>Home</title></head><body><h1>Fresh site</h1></body></html>'

for (const scripts of ['off', 'on'] as const) {
  const hosts = suite(`a fresh project, install scripts ${scripts}`)

  hosts('Eleventy builds with the plugin', async () => {
    const dir = await project(tarball, [HOSTS.eleventy], scripts)
    await writeTree(dir, {
      'eleventy.config.js': "import planktos from 'planktos-web/eleventy'\nexport default function (config) { config.addPlugin(planktos) }\n",
      'index.html': PAGE
    })
    await ok(process.execPath, ['node_modules/@11ty/eleventy/cmd.cjs'], dir)
    await assertPacked(join(dir, '_site'), '/')
  })

  hosts('Astro builds with the integration', async () => {
    const dir = await project(tarball, [HOSTS.astro], scripts)
    await mkdir(join(dir, 'src/pages'), { recursive: true })
    await writeTree(dir, {
      'astro.config.mjs': "import { defineConfig } from 'astro/config'\nimport planktos from 'planktos-web/astro'\nexport default defineConfig({ integrations: [planktos()] })\n",
      'src/pages/index.astro': PAGE
    })
    await ok(process.execPath, ['node_modules/astro/bin/astro.mjs', 'build'], dir)
    await assertPacked(join(dir, 'dist'), '/')
  })

  hosts.run()
}

const pnpm = suite('a fresh project, pnpm 12 (build scripts need approval)')

pnpm('Eleventy and Astro add the tarball with no script to approve, and build', async () => {
  for (const [host, spec] of Object.entries(HOSTS)) {
    const { dir, output } = await pnpmProject(tarball, [spec])
    // pnpm lists unapproved build scripts (ERR_PNPM_IGNORED_BUILDS, "Ignored build scripts") and writes
    // placeholders for them into pnpm-workspace.yaml.
    assert.not.match(output, /IGNORED_BUILDS|Ignored build scripts/i, output)
    assert.not.ok(await isFile(join(dir, 'pnpm-workspace.yaml')), `${host}: pnpm wrote pnpm-workspace.yaml`)
    if (host === 'eleventy') {
      await writeTree(dir, { 'eleventy.config.js': "import planktos from 'planktos-web/eleventy'\nexport default function (config) { config.addPlugin(planktos) }\n", 'index.html': PAGE })
      await ok(process.execPath, ['node_modules/@11ty/eleventy/cmd.cjs'], dir)
      await assertPacked(join(dir, '_site'), '/')
    } else {
      await writeTree(dir, {
        'astro.config.mjs': "import { defineConfig } from 'astro/config'\nimport planktos from 'planktos-web/astro'\nexport default defineConfig({ integrations: [planktos()] })\n",
        'src/pages/index.astro': PAGE
      })
      await ok(process.execPath, ['node_modules/astro/bin/astro.mjs', 'build'], dir)
      await assertPacked(join(dir, 'dist'), '/')
    }
  }
})

// The tarball is shared by every suite, so the temporary folders go once the last one is done.
pnpm.after(cleanup)
pnpm.run()
