// The example sites as the demo and the tests build them: with their own config files and the real adapters,
// pointed at a local tracker through the environment (see sites/*/ config files).
import { spawnSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Manifest, ShardPart } from '../runtime/shared/manifest.ts'

export const root = fileURLToPath(new URL('..', import.meta.url))

export interface ExampleSite {
  name: 'astro' | 'eleventy'
  /** Where `npm run build:sites` writes it. */
  dir: string
}

export const SITES: readonly ExampleSite[] = [
  { name: 'astro', dir: join(root, 'sites/astro/dist') },
  { name: 'eleventy', dir: join(root, 'sites/eleventy/_site') }
]

/** Builds `site` into `out` (default: its usual folder) with planktos announcing to `tracker` and no ICE servers. */
export function buildExampleSite (site: ExampleSite, tracker: string, out = site.dir): void {
  const bin = (name: string): string => join(root, 'node_modules/.bin', name)
  const [command, args, cwd] = site.name === 'astro'
    ? [bin('astro'), ['build', '--root', 'sites/astro', '--outDir', out], root]
    : [bin('eleventy'), [`--output=${out}`], join(root, 'sites/eleventy')]
  const env = { ...process.env, PLANKTOS_ANNOUNCE: tracker, PLANKTOS_ICE: 'none', ASTRO_TELEMETRY_DISABLED: '1' }
  const result = spawnSync(command, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`building the ${site.name} example site failed (exit ${result.status}):\n${result.stderr}`)
}

/** The site's pages as URL paths relative to the base (about/index.html -> about/), home first, without the 404 page. */
export async function pagesOf (dir: string): Promise<string[]> {
  const manifest: Manifest = JSON.parse(await readFile(join(dir, 'planktos/manifest.json'), 'utf8'))
  const pages: string[] = []
  for (const shard of manifest.shards) {
    const part: ShardPart = JSON.parse(await readFile(join(dir, shard.part), 'utf8'))
    for (const file of part.files) {
      if (file.path === 'index.html' || file.path.endsWith('/index.html')) pages.push(file.path.slice(0, -'index.html'.length))
    }
  }
  return pages.sort((a, b) => a.length - b.length || (a < b ? -1 : 1))
}
