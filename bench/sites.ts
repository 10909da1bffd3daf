// The sites the visitor benchmarks browse, each in two folders made from the same files: `plain` (as the generator
// wrote it, no planktos) and `planktos` (the same folder packed by planktos' builder for the bench's tracker).
import { spawnSync } from 'node:child_process'
import { cp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from '../integrations/builder/index.ts'
import { MEDIA_MARK } from '../runtime/shared/media-mark.ts'
import { buildDocsSite } from './docs-metadata.ts'
import { makeMediaSite } from './media-site.ts'

const root = fileURLToPath(new URL('..', import.meta.url))

export interface BenchSite {
  name: string
  /** The generator's output without planktos. */
  plain: string
  /** The same files packed by planktos. */
  planktos: string
  /** Page URLs relative to the base, in the order every visitor follows. */
  path: string[]
}

const EXAMPLES = [
  { name: 'astro', dir: 'sites/astro/dist' },
  { name: 'eleventy', dir: 'sites/eleventy/_site' }
]

/** The example sites' page with an <audio> (whose Range requests bypass peers in today's runtime). */
export const AUDIO_PAGE = 'blog/harbour-tune/'

/** Builds the example sites if absent, strips planktos from a copy, and packs copies of the sites `names` for `tracker`. */
export async function prepareSites (work: string, tracker: string, log: (line: string) => void, names = ['astro', 'eleventy', 'media']): Promise<BenchSite[]> {
  const examples = EXAMPLES.filter(e => names.includes(e.name))
  const missing = []
  for (const site of examples) if (!await exists(join(root, site.dir, 'index.html'))) missing.push(site.name)
  if (missing.length > 0) {
    log(`sites: building the example sites (${missing.join(', ')} missing): npm run build:sites…`)
    const built = spawnSync('npm', ['run', 'build:sites'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1' } })
    if (built.status !== 0) throw new Error('bench: "npm run build:sites" failed; run it alone to see why.')
  }
  const sites: BenchSite[] = []
  for (const example of examples) {
    const plain = join(work, `${example.name}-plain`)
    await rm(plain, { recursive: true, force: true })
    await cp(join(root, example.dir), plain, { recursive: true })
    await stripPlanktos(plain)
    sites.push({ name: example.name, plain, planktos: '', path: await pagesOf(plain) })
  }
  if (names.includes('media')) {
    const media = join(work, 'media-plain')
    await rm(media, { recursive: true, force: true })
    sites.push({ name: 'media', plain: media, planktos: '', path: (await makeMediaSite(media)).slice(0, 8) })
  }
  for (const site of sites) await pack(site, tracker)
  return sites
}

/** Packs a copy of `site.plain` (a folder ending in -plain) beside it for `tracker`, as `site.planktos`. */
async function pack (site: BenchSite, tracker: string): Promise<void> {
  site.planktos = site.plain.replace(/-plain$/, '-planktos')
  await rm(site.planktos, { recursive: true, force: true })
  await cp(site.plain, site.planktos, { recursive: true })
  // Hermetic: the bench's tracker, no STUN; every other option is the default a user gets.
  const result = await build(site.planktos, { announce: [tracker], rtcConfig: { iceServers: [] } })
  if (!result.manifest) throw new Error(`bench: planktos built ${site.name} without a manifest: ${result.warnings.join(' ')}`)
}

/**
 * The metadata bench's Starlight documentation (5 languages × 4 sections × 25 pages, Pagefind), built for the root and
 * packed, with a reader's path: the front page and three pages of the English guides and reference (issue 13's docs
 * site, where the goals are a bouncing visitor ≤ 1.3× and six readers of four pages ≤ 2.0 plain visits).
 */
export async function docsSite (work: string, tracker: string): Promise<BenchSite> {
  // Astro resolves its modules from the project's folder up, so the project sits inside the repository.
  const dist = await buildDocsSite(join(root, 'test-results', 'bench-docs-bill'), join(root, 'test/fixtures/astro/starlight'), '/')
  const site: BenchSite = { name: 'starlight docs', plain: join(work, 'docs-plain'), planktos: '', path: ['', 'guides/page-0/', 'guides/page-1/', 'reference/page-0/'] }
  await rm(site.plain, { recursive: true, force: true })
  await cp(dist, site.plain, { recursive: true })
  await pack(site, tracker)
  return site
}

/** Removes what the example sites' planktos adapters added: the runtime folder, the worker and the install tags. */
async function stripPlanktos (dir: string): Promise<void> {
  await rm(join(dir, 'planktos'), { recursive: true, force: true })
  await rm(join(dir, 'planktos-sw.js'), { force: true })
  for (const page of await htmlFiles(dir)) {
    const html = await readFile(page, 'utf8')
    await writeFile(page, unholdMedia(html.replace(/<script[^>]*\bdata-planktos\b[^>]*><\/script>/g, '')))
  }
}

/**
 * The builder holds a page's media back (` preload="none"` and the author's value in MEDIA_MARK, written as one) until
 * the worker controls the page: without planktos the element loads as its author wrote it, so the plain site gets its
 * own attribute back. (Left in, the plain audio page loaded no audio at all: 51.9 KB against 2.87 MB.)
 */
export function unholdMedia (html: string): string {
  return html.replace(new RegExp(` preload="none" ${MEDIA_MARK}="([^"]*)"`, 'g'), (_, own: string) => own ? ` preload="${own}"` : '')
}

async function htmlFiles (dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries.filter(e => e.isFile() && e.name.endsWith('.html')).map(e => join(e.parentPath, e.name))
}

/** The pages as URL paths (about/index.html -> about/), home first, then by depth and name; no 404 page. */
async function pagesOf (dir: string): Promise<string[]> {
  const pages = (await htmlFiles(dir)).map(p => p.slice(dir.length + 1)).filter(p => p.endsWith('index.html'))
  return pages.map(p => p.slice(0, -'index.html'.length)).sort((a, b) => a.length - b.length || (a < b ? -1 : 1))
}

const exists = (path: string): Promise<boolean> => stat(path).then(() => true, () => false)
