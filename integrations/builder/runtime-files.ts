// Finds the built browser runtime shipped in this package and prepares the copies a site gets.
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BuildError } from './errors.ts'

export interface RuntimeFiles {
  install: Uint8Array
  worker: Uint8Array
  downloader: Uint8Array
  /** The debug overlay, which the downloader imports when it is shown. */
  overlay: Uint8Array
  /** The install script of a kill-switch build: it removes planktos. */
  remove: Uint8Array
}

/** The package root, found from this file whether it runs from the source tree or from dist/. */
export function packageRoot (): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!isOurPackage(join(dir, 'package.json'))) {
    const parent = dirname(dir)
    if (parent === dir) throw new BuildError('Could not find the planktos-web package folder; reinstall planktos-web.')
    dir = parent
  }
  return dir
}

function isOurPackage (path: string): boolean {
  try {
    return existsSync(path) && JSON.parse(readFileSync(path, 'utf8')).name === 'planktos-web'
  } catch {
    return false
  }
}

/** Reads dist/runtime/{install,sw,downloader,overlay,remove}.js. */
export async function readRuntime (): Promise<RuntimeFiles> {
  const dir = join(packageRoot(), 'dist', 'runtime')
  try {
    const [install, worker, downloader, overlay, remove] = await Promise.all(['install.js', 'sw.js', 'downloader.js', 'overlay.js', 'remove.js'].map(f => readFile(join(dir, f))))
    return { install: install!, worker: worker!, downloader: downloader!, overlay: overlay!, remove: remove! }
  } catch (err) {
    throw new BuildError(`The planktos browser runtime could not be read from "${dir}" (${(err as Error).message}); run "npm run build" in planktos-web (or reinstall the package).`, { cause: err })
  }
}

export interface WorkerConfig {
  buildId: string
  base: string
  killSwitch: boolean
  /** Kill switch only: reload the pages the removed worker controlled (dev servers, where those pages are stale). */
  reload?: boolean
  /** SHA-256 of the deploy's install.js and downloader.js by path: the worker answers them from its copies when they match. */
  runtime?: Record<string, string>
}

/** What the worker config's `runtime` holds for these scripts (path under the base → SHA-256 hex). */
export function runtimeDigests (scripts: Record<string, Uint8Array>): Record<string, string> {
  return Object.fromEntries(Object.entries(scripts).map(([path, bytes]) => [path, createHash('sha256').update(bytes).digest('hex')]))
}

/** The worker a site serves: one config line, then the runtime. The line makes the bytes change with each deploy, which is how browsers notice an update. */
export function workerSource (worker: Uint8Array, config: WorkerConfig): Uint8Array {
  const line = `self.PLANKTOS_CONFIG = ${JSON.stringify(config)};\n`
  return Buffer.concat([Buffer.from(line, 'utf8'), worker])
}
