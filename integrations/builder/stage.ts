// Makes a build all-or-nothing: everything is written to a staging folder, then swapped in with renames
// that a journal lets us undo, even after the process was killed half-way.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { mkdir, readFile, rename, rm, writeFile, access } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { STAGING_DIR } from './walk.ts'
import { BuildError } from './errors.ts'

const JOURNAL = 'journal.json'

interface Journal { state: 'committing', paths: string[] }

export class Stage {
  readonly root: string
  readonly dir: string
  #paths = new Set<string>()
  // Folders already made under the staging folder: a recursive mkdir per page was the page phase's largest cost.
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
      await mkdir(join(this.dir, 'new'), { recursive: true })
    } catch (err) {
      throw BuildError.io(err, this.root, 'write into the output folder')
    }
    return { recovered }
  }

  /** Where the staged copy of `rel` (a path relative to the output folder) lives. */
  pathOf (rel: string): string {
    return join(this.dir, 'new', rel)
  }

  /** Stages `data` to replace (or create) `rel` on commit; `track: false` for files inside a folder tracked as a whole. */
  write (rel: string, data: string | Uint8Array, track = true): string {
    const path = this.pathOf(rel)
    // Synchronous: a build stages thousands of small pages, and an async write is a thread-pool round trip each.
    try {
      this.#mkdir(dirname(path))
      writeFileSync(path, data)
    } catch (err) {
      throw BuildError.io(err, path, 'write')
    }
    if (track) this.#paths.add(rel)
    return path
  }

  /** Stages a whole top-level entry (file or folder) by name, when it was written under pathOf(). */
  track (rel: string): void {
    this.#paths.add(rel)
  }

  /** Swaps every staged path into place; on any failure puts back exactly what was there. */
  async commit (signal?: AbortSignal): Promise<void> {
    const paths = [...this.#paths].sort()
    const journal: Journal = { state: 'committing', paths }
    await writeFile(join(this.dir, JOURNAL), JSON.stringify(journal))
    try {
      signal?.throwIfAborted()
      // Synchronous on purpose: thousands of renames are quick system calls, and each async one was a round trip
      // through the thread pool; nothing else should run (a signal handler included) while files are half swapped.
      for (const rel of paths) {
        const target = join(this.root, rel)
        const old = join(this.dir, 'old', rel)
        this.#mkdir(dirname(old))
        // Moving the original aside fails with ENOENT when there is none: the commit creates this path.
        try {
          renameSync(target, old)
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
        }
        renameSync(this.pathOf(rel), target)
      }
    } catch (err) {
      await this.#rollback(paths)
      await rm(this.dir, { recursive: true, force: true })
      throw err instanceof BuildError || (err as Error).name === 'AbortError' ? err : BuildError.io(err, this.root, 'replace files in')
    }
    await rm(this.dir, { recursive: true, force: true })
  }

  /** Forgets everything staged; the output folder is as it was. */
  async discard (): Promise<void> {
    await rm(this.dir, { recursive: true, force: true })
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
    await this.#rollback(journal.paths)
    return true
  }

  async #rollback (paths: string[]): Promise<void> {
    for (const rel of paths) {
      const target = join(this.root, rel)
      const old = join(this.dir, 'old', rel)
      const staged = this.pathOf(rel)
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
