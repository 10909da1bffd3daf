// A small test site, built with planktos' own builder into a temporary folder and served by `planktos serve`
// on an ephemeral loopback port, with the origin's request log kept for assertions.
import { execFileSync } from 'node:child_process'
import { cp, mkdtemp, readdir, rm, stat, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Options } from '../../integrations/options.ts'
import type { Manifest } from '../../runtime/shared/manifest.ts'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const fixture = join(root, 'test', 'fixtures', 'runtime', 'site')

export interface RequestLogEntry {
  method: string
  url: string
  status: number
  bytes: number
  range: string | null
}

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

/** Copies the fixture site (plus `extra` files) to a temporary folder and builds it with planktos. */
export async function buildSite (options: Options = {}, extra: Record<string, string | Uint8Array> = {}): Promise<TestSite> {
  await ensureRuntime()
  const dir = await mkdtemp(join(tmpdir(), 'planktos-site-'))
  await cp(fixture, dir, { recursive: true })
  for (const [path, data] of Object.entries(extra)) {
    await mkdir(dirname(join(dir, path)), { recursive: true })
    await writeFile(join(dir, path), data)
  }
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

/** Serves a built site on 127.0.0.1, port 0, logging every request. */
export async function startOrigin (site: TestSite): Promise<Origin> {
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
