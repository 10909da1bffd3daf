// A small test site, built with planktos' own builder into a temporary folder and served by `planktos serve`
// on an ephemeral loopback port, with the origin's request log kept for assertions.
import { execFileSync } from 'node:child_process'
import { cp, mkdtemp, readdir, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Options } from '../../integrations/options.ts'
import type { RequestLogEntry } from '../../integrations/cli/serve.ts'
import type { FileEntry, Manifest, ShardPart } from '../../runtime/shared/manifest.ts'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const fixture = join(root, 'test', 'fixtures', 'runtime', 'site')

export type { RequestLogEntry } from '../../integrations/cli/serve.ts'

export interface TestSite {
  dir: string
  base: string
  manifest: Manifest
  /** Removes the folder. */
  remove (): Promise<void>
}

export interface Origin {
  /** The site's address, base included. */
  url: string
  port: number
  log: RequestLogEntry[]
  /** Log entries whose URL path (query included) starts with `prefix` under the base. */
  requests (prefix?: string): RequestLogEntry[]
  close (): Promise<void>
}

/** A generated file of `size` bytes (deterministic), for multi-piece transfers. */
export function blob (size: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(size)
  let x = seed
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    bytes[i] = x >>> 24
  }
  return bytes
}

/** A 24-bit BMP of noise (deterministic): an image every browser decodes, generated without a codec. */
export function bmp (width: number, height: number, seed = 1): Uint8Array {
  const row = Math.ceil(width * 3 / 4) * 4
  const out = new Uint8Array(54 + row * height)
  const v = new DataView(out.buffer)
  out.set([0x42, 0x4d])
  v.setUint32(2, out.length, true)
  v.setUint32(10, 54, true)
  v.setUint32(14, 40, true)
  v.setInt32(18, width, true)
  v.setInt32(22, height, true)
  v.setUint16(26, 1, true)
  v.setUint16(28, 24, true)
  v.setUint32(34, row * height, true)
  out.set(blob(row * height, seed), 54)
  return out
}

export interface GalleryPage {
  /** URL path relative to base, such as `gallery/2/`. */
  url: string
  title: string
  /** Image paths relative to base. */
  images: string[]
}

/** Extra pages for the fixture site: `count` pages under gallery/, each with its own title and two images. */
export function gallery (count: number, side = 96): { files: Record<string, Uint8Array | string>, pages: GalleryPage[] } {
  const files: Record<string, Uint8Array | string> = {}
  const pages: GalleryPage[] = []
  for (let i = 1; i <= count; i++) {
    const title = `Gallery page ${i}`
    const images = [`gallery/${i}/a.bmp`, `gallery/${i}/b.bmp`]
    files[`gallery/${i}/a.bmp`] = bmp(side, side, 2 * i)
    files[`gallery/${i}/b.bmp`] = bmp(side, side, 2 * i + 1)
    files[`gallery/${i}/index.html`] = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${title}</title><link rel="stylesheet" href="../../style.css"></head>
<body>
<h1 id="title">${title}</h1>
<img src="../../img/logo.svg" alt="logo" width="64" height="64">
<img src="a.bmp" alt="first" width="${side}" height="${side}">
<img src="b.bmp" alt="second" width="${side}" height="${side}">
</body>
</html>
`
    pages.push({ url: `gallery/${i}/`, title, images })
  }
  return { files, pages }
}

/** Every file of a built site by path, with its shard's infohash, read from its manifest's parts on disk. */
export async function siteFiles (site: TestSite): Promise<Map<string, FileEntry & { infoHash: string }>> {
  const files = new Map<string, FileEntry & { infoHash: string }>()
  for (const shard of site.manifest.shards) {
    const part = JSON.parse(await readFile(join(site.dir, shard.part), 'utf8')) as ShardPart
    for (const f of part.files) files.set(f.path, { ...f, infoHash: part.infoHash })
  }
  return files
}

/** A page's file and its subresources (paths relative to base) for a page URL such as `about/` or ``. */
export function pageFiles (files: Map<string, FileEntry>, url: string): string[] {
  const path = url === '' || url.endsWith('/') ? url + 'index.html' : url
  const entry = files.get(path)
  if (!entry) throw new Error(`the site has no page ${url}`)
  return [path, ...entry.deps ?? []]
}

/** Whether a logged request was for planktos' own files (runtime, manifest, parts, torrents) rather than the site's. */
export function isPlanktosFile (base: string, url: string): boolean {
  const path = url.slice(base.length)
  return path.startsWith('planktos/') || path.startsWith('planktos-sw.js')
}

/** Test defaults: hermetic (no trackers unless given, no STUN) and quick to give up on absent peers. */
export const TEST_OPTIONS: Options = { announce: [], rtcConfig: { iceServers: [] }, peerTimeout: 1000 }

async function newestMtime (dir: string): Promise<number> {
  let newest = 0
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, (await stat(join(entry.parentPath, entry.name))).mtimeMs)
  }
  return newest
}

let runtimeChecked = false

/** Rebuilds dist/runtime when it is missing or older than runtime/, so tests never run a stale runtime. */
export async function ensureRuntime (): Promise<void> {
  if (runtimeChecked) return
  const built = await stat(join(root, 'dist', 'runtime', 'sw.js')).then(s => s.mtimeMs, () => 0)
  if (built < await newestMtime(join(root, 'runtime'))) {
    execFileSync(process.execPath, [join(root, 'scripts', 'build-runtime.ts')], { cwd: root, stdio: 'pipe' })
  }
  runtimeChecked = true
}

async function copyFixture (prefix: string, extra: Record<string, string | Uint8Array>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  await cp(fixture, dir, { recursive: true })
  for (const [path, data] of Object.entries(extra)) {
    await mkdir(dirname(join(dir, path)), { recursive: true })
    await writeFile(join(dir, path), data)
  }
  return dir
}

/** Copies the fixture site (plus `extra` files) to a temporary folder and builds it with planktos. */
export async function buildSite (options: Options = {}, extra: Record<string, string | Uint8Array> = {}): Promise<TestSite> {
  await ensureRuntime()
  const dir = await copyFixture('planktos-site-', extra)
  const { build } = await import('../../integrations/builder/index.ts')
  const result = await build(dir, { ...TEST_OPTIONS, ...options })
  if (!result.manifest) throw new Error('the test site was built without a manifest')
  return {
    dir,
    base: result.manifest.base,
    manifest: result.manifest,
    remove: () => rm(dir, { recursive: true, force: true })
  }
}

/** The fixture site (plus `extra` files) in a temporary folder, as the generator wrote it: no planktos. */
export async function plainSite (extra: Record<string, string | Uint8Array> = {}): Promise<Omit<TestSite, 'manifest'>> {
  const dir = await copyFixture('planktos-plain-', extra)
  return { dir, base: '/', remove: () => rm(dir, { recursive: true, force: true }) }
}

/** Serves a built site on 127.0.0.1, port 0, logging every request. */
export async function startOrigin (site: Pick<TestSite, 'dir' | 'base'>): Promise<Origin> {
  const { serve } = await import('../../integrations/cli/serve.ts')
  const log: RequestLogEntry[] = []
  const handle = await serve({ dir: site.dir, port: 0, base: site.base, onRequest: entry => log.push(entry) })
  return {
    url: handle.url,
    port: handle.port,
    log,
    requests: (prefix = '') => log.filter(e => e.url.startsWith(site.base + prefix)),
    close: () => handle.close()
  }
}
