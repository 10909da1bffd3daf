// Lists the files of an output folder that planktos shares, in the one order every later step relies on.
import { lstatSync, readdirSync, realpathSync, statSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'
import picomatch from 'picomatch'
import { comparePaths, PLANKTOS_DIR, WORKER_FILE } from '../../runtime/shared/manifest.ts'
import { BuildError, quote } from './errors.ts'

export interface SiteFile {
  /** Path relative to the output folder, `/`-separated, exactly as named on disk. */
  path: string
  /** Absolute path to read the bytes from (the target, for a symlink). */
  abs: string
  size: number
  mtimeMs: number
  /** Reached through a symlink (the file's or a folder's): its bytes are shared, but planktos never writes to it. */
  linked?: boolean
}

export interface WalkResult { files: SiteFile[], warnings: string[] }

/** Names planktos writes itself; never part of the site it packs. */
export const STAGING_DIR = '.planktos-staging'
const YIELD_EVERY = 1000
const OWN = new Set([PLANKTOS_DIR.slice(0, -1), WORKER_FILE, STAGING_DIR])

/** Throws a BuildError unless `root` is an existing folder. */
export async function assertFolder (root: string): Promise<void> {
  let rootInfo
  try {
    rootInfo = await stat(root)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new BuildError(`The output folder "${root}" does not exist; build your site first, or pass the folder your generator writes to.`)
    }
    throw BuildError.io(err, root, 'read')
  }
  if (!rootInfo.isDirectory()) {
    throw new BuildError(`"${root}" is a file, not a folder; pass the folder your generator writes the site to (such as dist/ or _site/).`)
  }
}

/** True if `real` (a real path) is `root` or inside it. */
function isInside (root: string, real: string): boolean {
  const rel = relative(root, real)
  return rel === '' || (rel !== '..' && !rel.startsWith('..' + sep) && !rel.startsWith(sep))
}

/**
 * Walks `root` (following symlinks once, refusing loops), keeping files matched by include and not by exclude.
 * A symlink whose real path is outside `root` is skipped: following it put files from elsewhere on the disk (a CI
 * secret in /proc/self/environ, a sibling folder) into the public manifest, and let the build write outside the site.
 */
export async function walk (root: string, include: string[], exclude: string[]): Promise<WalkResult> {
  // dotAll ('s'): without it `*` and `**` never match a name holding a newline, and such files silently went missing.
  const isIncluded = picomatch(include, { dot: true, flags: 's' })
  const isExcluded = exclude.length ? picomatch(exclude, { dot: true, flags: 's' }) : () => false
  const files: SiteFile[] = []
  const warnings: string[] = []
  let seen = 0

  // Synchronous calls: an async stat is a round trip through libuv's thread pool (one at a time made the walk the
  // slowest step of a build), and thousands in flight held a 100,000-file site's pending stats in memory.
  // `real` is the folder's real path: a symlink back to a folder on the current descent is a loop.
  async function visit (dirAbs: string, dirRel: string, real: string, ancestors: Set<string>, linked: boolean): Promise<void> {
    if (ancestors.has(real)) {
      warnings.push(`Skipped ${quote(dirRel)}: the symlink leads back into a folder that contains it (a loop).`)
      return
    }
    const descent = new Set(ancestors).add(real)
    let entries
    try {
      entries = readdirSync(dirAbs, { withFileTypes: true })
    } catch (err) {
      throw BuildError.io(err, dirAbs, 'read the folder')
    }
    for (const entry of entries) {
      // Let progress, aborts and signals through now and then.
      if (++seen % YIELD_EVERY === 0) await new Promise(resolve => setImmediate(resolve))
      const rel = dirRel ? `${dirRel}/${entry.name}` : entry.name
      if (!dirRel && OWN.has(entry.name)) continue
      // A backslash is a path separator on Windows and in URLs: in a torrent such a name could climb out of a
      // BitTorrent client's download folder, and the runtime never answers for it. The origin still serves it.
      if (entry.name.includes('\\')) {
        warnings.push(`Skipped ${quote(rel)}: its name holds a backslash, which browsers and Windows read as a folder separator; the origin still serves it.`)
        continue
      }
      const abs = join(dirAbs, entry.name)
      const isLink = entry.isSymbolicLink()
      let info
      let target = join(real, entry.name)
      try {
        if (isLink) {
          target = realpathSync(abs)
          if (!isInside(rootReal, target)) {
            warnings.push(`Skipped ${quote(rel)}: it is a symlink to ${quote(target)}, outside the output folder; planktos shares only what is inside it.`)
            continue
          }
        }
        info = isLink ? statSync(target) : lstatSync(abs)
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        if (isLink && (code === 'ENOENT' || code === 'ELOOP')) {
          warnings.push(`Skipped ${quote(rel)}: it is a symlink to nothing (${code === 'ELOOP' ? 'a loop' : 'its target is missing'}).`)
          continue
        }
        // readdir decodes a name that is not UTF-8 with U+FFFD, a name no file has.
        if (code === 'ENOENT' && entry.name.includes('\ufffd')) {
          warnings.push(`Skipped ${quote(rel)}: its name is not valid UTF-8, so no URL names it; rename it to share it.`)
          continue
        }
        throw BuildError.io(err, abs, 'read')
      }
      if (info.isDirectory()) {
        // Only a symlink can lead somewhere else; a plain folder's real path follows from its parent's.
        await visit(abs, rel, target, descent, linked || isLink)
      } else if (info.isFile() && isIncluded(rel) && !isExcluded(rel)) {
        const file: SiteFile = { path: rel, abs: isLink ? target : abs, size: info.size, mtimeMs: info.mtimeMs }
        if (linked || isLink) file.linked = true
        files.push(file)
      }
      // Sockets, FIFOs and devices are not files a static host serves.
    }
  }

  const rootReal = realpathSync(root)
  await visit(root, '', rootReal, new Set(), false)
  files.sort((a, b) => comparePaths(a.path, b.path))
  warnings.sort()
  return { files, warnings }
}
