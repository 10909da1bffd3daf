// planktos replaces its own folder (planktos/) and worker (planktos-sw.js) on every build. A site may hold files of
// those names itself: replacing them would delete the site's files without a word, so the build refuses instead.
import { lstatSync, readdirSync, readSync, openSync, closeSync } from 'node:fs'
import { join } from 'node:path'
import { PLANKTOS_DIR, WORKER_FILE } from '../../runtime/shared/manifest.ts'
import { BuildError, quote } from './errors.ts'

/** Every file a build writes under planktos/; anything else there is the site's. */
const OURS = /^(?:install\.js|downloader\.js|overlay\.js|manifest\.json|p\/[0-9a-f]{20}\.json|t\/[0-9a-f]{40}\.(?:torrent|pieces))$/
/** How every worker planktos writes begins (see workerSource). */
const WORKER_START = 'self.PLANKTOS_CONFIG = '

/** The site's own files at the paths planktos replaces: empty when the folder holds only what an earlier build wrote. */
export function foreignFiles (root: string): string[] {
  const found: string[] = []
  const dir = PLANKTOS_DIR.slice(0, -1)
  const info = lstatOrNull(join(root, dir))
  if (info && !info.isDirectory()) found.push(dir)
  else if (info) {
    for (const rel of readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })) {
      const entry = lstatSync(join(root, dir, rel))
      if (entry.isDirectory() ? !/^[pt]$/.test(rel) : !(entry.isFile() && OURS.test(rel))) found.push(`${dir}/${rel}`)
    }
  }
  const worker = lstatOrNull(join(root, WORKER_FILE))
  if (worker && !(worker.isFile() && startsWith(join(root, WORKER_FILE), WORKER_START))) found.push(WORKER_FILE)
  return found.sort()
}

/** Throws a BuildError naming the site's own files that a build would replace. */
export function assertNoForeignFiles (root: string): void {
  const found = foreignFiles(root)
  if (!found.length) return
  const names = found.slice(0, 3).map(quote).join(', ') + (found.length > 3 ? ` and ${found.length - 3} more` : '')
  throw new BuildError(`The output folder holds ${names}, which planktos did not write and would replace; rename or move ${found.length > 1 ? 'them' : 'it'}, since planktos needs those paths for its own files.`)
}

function lstatOrNull (path: string): ReturnType<typeof lstatSync> | null {
  try {
    return lstatSync(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw BuildError.io(err, path, 'read')
  }
}

function startsWith (path: string, text: string): boolean {
  const fd = openSync(path, 'r')
  try {
    const buf = Buffer.alloc(text.length)
    return readSync(fd, buf, 0, buf.length, 0) === buf.length && buf.toString('latin1') === text
  } finally {
    closeSync(fd)
  }
}
