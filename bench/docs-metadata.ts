// Metadata per page read on a large multilingual documentation site (issue 13: ≤ 2 KB on average over a 5-page visit
// in one language, a Pagefind search ≤ 10 KB of it). The site is a real Starlight build with Pagefind: five languages
// (English at the root, as Starlight's own docs do), four sections of 25 pages each. A visit is modelled, not driven
// in a browser: the worker fetches the part of every shard holding a page it answers or one of that page's files,
// and the downloader rebuilds the torrent of every shard it asks peers for from that part and the shard's piece
// hashes (since manifest version 2; before, it fetched the .torrent, which hosts send uncompressed), so a visit costs
// the manifest plus, per shard it touches, its part (compressed as the host sends it) and its hashes (20 bytes a
// piece, which do not compress). HTTP headers are left out (~300 B a response).
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { brotliCompressSync, constants } from 'node:zlib'
import { build as astroBuild } from 'astro'
import starlight from '@astrojs/starlight'
import { build } from '../integrations/builder/index.ts'
import { piecesFile, type Manifest, type ShardPart } from '../runtime/shared/manifest.ts'

export const LOCALES = ['', 'de/', 'fr/', 'ja/', 'zh-cn/']
const SECTIONS = ['guides', 'reference', 'components', 'resources']
const PAGES = 25
const WORDS = 'plankton drift current tide reef shoal harbour lantern beacon kelp sand pebble coral estuary lagoon'.split(' ')

/**
 * Writes the Starlight project's content and builds it into `dir`/dist (Astro needs node_modules above `dir`), for the
 * site's `base` (the bill serves it at the root).
 */
export async function buildDocsSite (dir: string, fixture: string, base = '/docs/'): Promise<string> {
  process.env.ASTRO_TELEMETRY_DISABLED = '1'
  await rm(dir, { recursive: true, force: true })
  await cp(fixture, dir, { recursive: true })
  const docs = join(dir, 'src/content/docs')
  await rm(docs, { recursive: true, force: true })
  let seed = 7
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
  const para = (n: number): string => Array.from({ length: n }, () => WORDS[Math.floor(next() * WORDS.length)]).join(' ')
  for (const l of LOCALES) {
    await mkdir(join(docs, l), { recursive: true })
    await writeFile(join(docs, l, 'index.md'), '---\ntitle: Home\n---\n\nWelcome.\n')
    for (const s of SECTIONS) {
      await mkdir(join(docs, l, s), { recursive: true })
      for (let i = 0; i < PAGES; i++) {
        await writeFile(join(docs, l, s, `page-${i}.md`), `---\ntitle: ${s} ${i}\n---\n\n${Array.from({ length: 12 }, () => para(60)).join('\n\n')}\n`)
      }
    }
  }
  const label = (lang: string): { label: string, lang?: string } => ({ label: lang })
  await astroBuild({
    root: dir,
    configFile: false,
    base,
    logLevel: 'error',
    integrations: [starlight({ title: 'Big docs', defaultLocale: 'root', locales: { root: { label: 'English', lang: 'en' }, de: label('de'), fr: label('fr'), ja: label('ja'), 'zh-cn': { label: 'zh-cn', lang: 'zh-CN' } } })]
  })
  return join(dir, 'dist')
}

const br = (bytes: Uint8Array): number => brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 6 } }).length

export interface VisitCost { locale: string, pages: number, shards: number, bytes: number, perPage: number, searchBytes: number, searchShards: number }
export interface MetadataResult { files: number, shards: number, manifestBytes: number, visits: VisitCost[], perPage: number, search: number }

/** Packs `site` with planktos and models a 5-page visit and a search in each language. */
export async function measureMetadata (site: string): Promise<MetadataResult> {
  await build(site, { base: '/docs/', announce: ['ws://127.0.0.1:9/'] })
  const manifestRaw = await readFile(join(site, 'planktos/manifest.json'))
  const manifest = JSON.parse(manifestRaw.toString()) as Manifest
  const manifestBytes = br(manifestRaw)
  const shardOf = new Map<string, { cost: number, files: ShardPart['files'] }>()
  const byPath = new Map<string, { shard: string, deps: string[] }>()
  for (const shard of manifest.shards) {
    const raw = await readFile(join(site, shard.part))
    const part = JSON.parse(raw.toString()) as ShardPart
    const pieces = await readFile(join(site, piecesFile(shard.infoHash)))
    shardOf.set(shard.infoHash, { cost: br(raw) + pieces.length, files: part.files })
    for (const f of part.files) byPath.set(f.path, { shard: shard.infoHash, deps: f.deps ?? [] })
  }
  const pagefind = await readdir(join(site, 'pagefind/fragment'))
  const indexes = await readdir(join(site, 'pagefind/index'))
  const entry = JSON.parse(await readFile(join(site, 'pagefind/pagefind-entry.json'), 'utf8')) as { languages: Record<string, { hash: string, wasm: string | null }> }
  const visits: VisitCost[] = []
  for (const l of LOCALES) {
    const pages = [`${l}index.html`, `${l}guides/page-0/index.html`, `${l}guides/page-1/index.html`, `${l}reference/page-3/index.html`, `${l}reference/page-4/index.html`]
    const touched = new Set<string>()
    for (const p of pages) {
      const f = byPath.get(p)
      if (!f) throw new Error(`bench docs-metadata: ${p} is not in the build`)
      for (const path of [p, ...f.deps]) {
        const s = byPath.get(path)?.shard
        if (s) touched.add(s)
      }
    }
    const cost = (set: Iterable<string>): number => [...set].reduce((n, s) => n + shardOf.get(s)!.cost, 0)
    const bytes = manifestBytes + cost(touched)
    // A search as Pagefind's UI makes it: its script and worker, the entry file, the language's metadata and wasm,
    // one index chunk and the first five results' fragments.
    const lang = l === '' ? 'en' : l.slice(0, -1)
    const info = entry.languages[lang]!
    const searchFiles = [
      'pagefind/pagefind.js', 'pagefind/pagefind-worker.js', 'pagefind/pagefind-entry.json',
      `pagefind/pagefind.${info.hash}.pf_meta`, `pagefind/wasm.${info.wasm ?? 'unknown'}.pagefind`,
      `pagefind/index/${indexes.find(i => i.startsWith(`${lang}_`))!}`,
      ...pagefind.filter(f => f.startsWith(`${lang}_`)).slice(0, 5).map(f => `pagefind/fragment/${f}`)
    ]
    for (const f of searchFiles) if (!byPath.has(f)) throw new Error(`bench docs-metadata: ${f} is not in the build`)
    const searchTouched = new Set(searchFiles.map(f => byPath.get(f)!.shard).filter(s => !touched.has(s)))
    visits.push({ locale: l || 'en (root)', pages: pages.length, shards: touched.size, bytes, perPage: bytes / pages.length, searchBytes: cost(searchTouched), searchShards: searchTouched.size })
  }
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length
  return { files: byPath.size, shards: manifest.shards.length, manifestBytes, visits, perPage: mean(visits.map(v => v.perPage)), search: mean(visits.map(v => v.searchBytes)) }
}

export function metadataTable (r: MetadataResult): string {
  const kb = (n: number): string => (n / 1000).toFixed(1)
  const rows = r.visits.map(v => `| ${v.locale} | ${v.shards} | ${kb(v.bytes)} | **${kb(v.perPage)}** | ${v.searchShards} | ${kb(v.searchBytes)} |`)
  return [
    `Starlight site with Pagefind, 5 languages × 4 sections × 25 pages (${r.files} files, ${r.shards} shards, manifest ${kb(r.manifestBytes)} KB brotli). A visit: the language's front page and two pages in each of two sections. Metadata: the manifest, and the part (brotli 6) and piece hashes of every shard holding a page or one of its files; modelled from the build, headers left out (goal ≤ 2 KB a page, a search ≤ 10 KB).`,
    '',
    '| language | shards touched | metadata (KB) | per page (KB) | a search: more shards | a search: more metadata (KB) |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    `| mean | | | **${kb(r.perPage)}** | | **${kb(r.search)}** |`
  ].join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = join(import.meta.dirname, '..')
  const site = await buildDocsSite(join(root, 'test-results', 'docs-metadata'), join(root, 'test/fixtures/astro/starlight'))
  console.log(metadataTable(await measureMetadata(site)))
}
