// Makes a build all-or-nothing: everything is written to a staging folder, then swapped in with renames
// that a journal lets us undo, even after the process was killed half-way.
//
// A replaced file is staged flat, as `new/<n>`, and its original is moved aside flat, as `old/<n>`: making a
// folder per page under the staging folder was the slowest part of staging a 1,000-page site. Files inside a
// folder replaced as a whole (planktos/) are staged under `new/tree/`, keeping their layout.
import { lstatSync, mkdirSync, realpathSync, renameSync } from 'node:fs'
import { mkdir, readFile, rename, rm, writeFile, access } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { PLANKTOS_DIR, WORKER_FILE } from '../../runtime/shared/manifest.ts'
import { isSitePath } from '../../runtime/shared/urls.ts'
import { STAGING_DIR } from './walk.ts'
import { BuildError, quote } from './errors.ts'
import { foreignFiles } from './own-files.ts'

const JOURNAL = 'journal.json'

/** One path to swap: `rel` in the output folder, its staged copy and where its original goes, under the staging folder. */
interface Swap { rel: string, staged: string, old: string }
interface Journal { state: 'committing', swaps: Swap[] }

export class Stage {
  readonly root: string
  readonly dir: string
  #swaps = new Map<string, Swap>()
  #made = new Set<string>()

  constructor (root: string) {
    this.root = root
    this.dir = join(root, STAGING_DIR)
  }

  /** Undoes what a killed run left half-committed, then starts an empty staging folder. */
  async open (): Promise<{ recovered: boolean }> {
    const recovered = await this.#recover()
    await rm(this.dir, { recursive: true, force: true })
    try {
      await mkdir(join(this.dir, 'new', 'tree'), { recursive: true })
      await mkdir(join(this.dir, 'old'))
    } catch (err) {
      throw BuildError.io(err, this.root, 'write into the output folder')
    }
    return { recovered }
  }

  /** Stages `data` to replace (or create) `rel` on commit; `track: false` for files inside a folder tracked as a whole. */
  async write (rel: string, data: string | Uint8Array, track = true): Promise<string> {
    const path = track ? this.#swap(rel).staged : join(this.dir, 'new', 'tree', rel)
    try {
      if (!track) this.#mkdir(dirname(path))
      await writeFile(path, data)
    } catch (err) {
      throw BuildError.io(err, path, 'write')
    }
    return path
  }

  /** Replaces the top-level folder `rel` as a whole with what was written under it with `track: false`. */
  track (rel: string): void {
    this.#swaps.set(rel, { rel, staged: join('new', 'tree', rel), old: join('old', `${this.#swaps.size}`) })
  }

  /** Swaps every staged path into place; on any failure puts back exactly what was there. */
  async commit (signal?: AbortSignal): Promise<void> {
    const swaps = [...this.#swaps.values()]
    const journal: Journal = { state: 'committing', swaps }
    await writeFile(join(this.dir, JOURNAL), JSON.stringify(journal))
    try {
      signal?.throwIfAborted()
      // Synchronous on purpose: renames are quick system calls, and each async one was a round trip through the
      // thread pool; nothing else should run (a signal handler included) while files are half swapped.
      for (const swap of swaps) {
        const target = join(this.root, swap.rel)
        // Moving the original aside fails with ENOENT when there is none: the commit creates this path.
        try {
          renameSync(target, join(this.dir, swap.old))
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
        }
        renameSync(join(this.dir, swap.staged), target)
      }
    } catch (err) {
      await this.#rollback(swaps)
      await rm(this.dir, { recursive: true, force: true })
      throw err instanceof BuildError || (err as Error).name === 'AbortError' ? err : BuildError.io(err, this.root, 'replace files in')
    }
    await rm(this.dir, { recursive: true, force: true })
  }

  /** Forgets everything staged; the output folder is as it was. */
  async discard (): Promise<void> {
    await rm(this.dir, { recursive: true, force: true })
  }

  #swap (rel: string): Swap {
    let swap = this.#swaps.get(rel)
    if (!swap) {
      const n = this.#swaps.size
      swap = { rel, staged: join('new', `${n}`), old: join('old', `${n}`) }
      this.#swaps.set(rel, swap)
    }
    return { ...swap, staged: join(this.dir, swap.staged) }
  }

  #mkdir (dir: string): void {
    if (this.#made.has(dir)) return
    mkdirSync(dir, { recursive: true })
    this.#made.add(dir)
  }

  async #recover (): Promise<boolean> {
    const path = join(this.dir, JOURNAL)
    const refuse = (what: string): BuildError => new BuildError(`${quote(path)} ${what}, which no planktos build writes; delete the ${STAGING_DIR} folder if you trust the output folder's files, and build again.`)
    // Anyone who can add a file to the output (a public/ folder in a pull request) can plant a journal: it is
    // followed only where it names what a build writes, inside the folder, never through a symlink.
    const dir = lstatOrNull(this.dir)
    if (!dir) return false
    if (!dir.isDirectory()) throw refuse('is reached through a symlink or is not a folder')
    const file = lstatOrNull(path)
    if (!file) return false
    if (!file.isFile()) throw refuse('is not a plain file')
    let journal: Journal
    try {
      journal = JSON.parse(await readFile(path, 'utf8'))
    } catch {
      // A journal cut short was never acted on: the commit starts after it is written.
      return false
    }
    if (!Array.isArray(journal?.swaps)) throw refuse('is not a journal')
    const rootReal = realpathSync(this.root)
    for (const swap of journal.swaps) {
      const problem = checkSwap(swap, rootReal)
      if (problem) throw refuse(problem)
      // A page the commit replaced always has its original aside: without one, the rollback would delete the page.
      const created = !(await exists(join(this.dir, swap.old))) && !(await exists(join(this.dir, swap.staged))) && await exists(join(this.root, swap.rel))
      const foreign = (): boolean => foreignFiles(this.root).some(f => f === swap.rel || f.startsWith(swap.rel + '/'))
      if (created && (!CREATED.has(swap.rel) || foreign())) throw refuse(`would delete ${quote(swap.rel)}`)
    }
    await this.#rollback(journal.swaps)
    return true
  }

  async #rollback (swaps: Swap[]): Promise<void> {
    for (const swap of swaps) {
      const target = join(this.root, swap.rel)
      const old = join(this.dir, swap.old)
      const staged = join(this.dir, swap.staged)
      if (await exists(old)) {
        // The new version (if it got there) goes back to staging, then the original returns.
        if (await exists(target) && !(await exists(staged))) await rename(target, staged)
        await rename(old, target)
      } else if (!(await exists(staged)) && await exists(target)) {
        // Nothing stood here before: the path was created by the commit (#recover checked it is planktos' own).
        await rm(target, { recursive: true, force: true })
      }
    }
  }
}

/** The only paths a commit creates rather than replaces. */
const CREATED = new Set([WORKER_FILE, PLANKTOS_DIR.slice(0, -1)])
const PAGE = /\.html?$/i

/** Why a journal's swap is not one a build writes (undefined when it is): a page, the worker or planktos/, staged and moved aside under the staging folder, in a real folder of the site. */
function checkSwap (swap: Swap, rootReal: string): string | undefined {
  const { rel, staged, old } = swap ?? {}
  if (typeof rel !== 'string' || !isSitePath(rel) || !(CREATED.has(rel) || PAGE.test(rel))) return `lists ${quote(String(rel))}`
  if (typeof old !== 'string' || !/^old\/\d+$/.test(old)) return `lists ${quote(String(old))}`
  if (typeof staged !== 'string' || !(/^new\/\d+$/.test(staged) || staged === `new/tree/${rel}`)) return `lists ${quote(String(staged))}`
  // The page's folder must be where it seems: a symlinked folder on the way would lead the rename elsewhere.
  const parent = dirname(rel)
  if (parent === '.') return undefined
  let real
  try {
    real = realpathSync(join(rootReal, parent))
  } catch {
    return undefined
  }
  return real === join(rootReal, parent) ? undefined : `lists ${quote(rel)} in a folder that is a symlink`
}

function lstatOrNull (path: string): ReturnType<typeof lstatSync> | null {
  try {
    return lstatSync(path)
  } catch {
    return null
  }
}

async function exists (path: string): Promise<boolean> {
  try {
    await access(path)
    return true
  } catch {
    return false
  }
}
