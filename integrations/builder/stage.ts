// Makes a build all-or-nothing: everything is written to a staging folder, then swapped in with renames
// that a journal lets us undo, even after the process was killed half-way.
//
// A replaced file is staged flat, as `new/<n>`, and its original is moved aside flat, as `old/<n>`: making a
// folder per page under the staging folder was the slowest part of staging a 1,000-page site. Files inside a
// folder replaced as a whole (planktos/) are staged under `new/tree/`, keeping their layout.
import { mkdirSync, renameSync } from 'node:fs'
import { mkdir, readFile, rename, rm, writeFile, access } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { STAGING_DIR } from './walk.ts'
import { BuildError } from './errors.ts'

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
    let journal: Journal
    try {
      journal = JSON.parse(await readFile(join(this.dir, JOURNAL), 'utf8'))
    } catch {
      return false
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
        // Nothing stood here before: the path was created by the commit.
        await rm(target, { recursive: true, force: true })
      }
    }
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
