// Deploys for the update tests: the test site rebuilt in place while its origin serves it, and what a visitor's
// browser holds (its store, its workers) read from one of its pages.
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { Page } from 'playwright-core'
import type { Options } from '../../integrations/options.ts'
import { DOWNLOADER_FILE, INSTALL_FILE, WORKER_FILE, type Manifest } from '../../runtime/shared/manifest.ts'
import { within } from './browsers.ts'
import { TEST_OPTIONS, type TestSite } from './site.ts'

/** Writes `changes` into the built site and builds it again in place; `site.manifest` becomes the new one. */
export async function redeploy (site: TestSite, changes: Record<string, string | Uint8Array>, options: Options = {}): Promise<Manifest | null> {
  for (const [path, data] of Object.entries(changes)) {
    await mkdir(dirname(join(site.dir, path)), { recursive: true })
    await writeFile(join(site.dir, path), data)
  }
  const { build } = await import('../../integrations/builder/index.ts')
  const result = await build(site.dir, { ...TEST_OPTIONS, ...options })
  if (result.manifest) site.manifest = result.manifest
  return result.manifest
}

/** SHA-256 of every file planktos' store holds for the site at `/` (the store must exist: reading it opens it). */
export function storedShas (page: Page): Promise<string[]> {
  return storedKeys(page, 'files')
}

/** The keys of one object store of planktos' store for the site at `/`. */
export function storedKeys (page: Page, objectStore: 'files' | 'meta'): Promise<string[]> {
  return within(page.evaluate(async (objectStore) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('planktos:/')
      req.onsuccess = () => resolve(req.result)
      req.onerror = () => reject(req.error)
    })
    try {
      return await new Promise<string[]>((resolve, reject) => {
        const r = db.transaction(objectStore).objectStore(objectStore).getAllKeys()
        r.onsuccess = () => resolve(r.result as string[])
        r.onerror = () => reject(r.error)
      })
    } finally {
      db.close()
    }
  }, objectStore), 'the store to be read')
}

/** Polls `storedShas` until `ok` holds; returns what satisfied it. */
export function storeUntil (page: Page, what: string, ok: (shas: Set<string>) => boolean): Promise<Set<string>> {
  return within((async () => {
    for (;;) {
      const shas = new Set(await storedShas(page))
      if (ok(shas)) return shas
      await page.waitForTimeout(200)
    }
  })(), what)
}

/** The names of the origin's IndexedDB databases and its service workers' scripts, as `page` sees them. */
export function browserState (page: Page): Promise<{ databases: string[], workers: string[], controlled: boolean }> {
  return within(page.evaluate(async () => ({
    databases: (await indexedDB.databases()).map(d => d.name ?? ''),
    workers: (await navigator.serviceWorker.getRegistrations()).map(r => (r.active ?? r.waiting ?? r.installing)?.scriptURL ?? ''),
    controlled: navigator.serviceWorker.controller !== null
  })), 'the browser state to be read')
}

/**
 * Makes the built site look like a deploy of another planktos version: `code` is appended to its install.js, and
 * its worker's config names the new script's SHA-256 (so the worker's bytes change, as a real upgrade's do).
 */
export async function upgradeRuntime (site: TestSite, code: string): Promise<void> {
  const { runtimeDigests, workerSource } = await import('../../integrations/builder/runtime-files.ts')
  const installPath = join(site.dir, INSTALL_FILE)
  const install = Buffer.concat([await readFile(installPath), Buffer.from(code)])
  const workerPath = join(site.dir, WORKER_FILE)
  const worker = await readFile(workerPath)
  const eol = worker.indexOf(10)
  // The config line workerSource() writes: `self.PLANKTOS_CONFIG = {...};`.
  const config = JSON.parse(/^self\.PLANKTOS_CONFIG = (.*);$/.exec(worker.subarray(0, eol).toString())![1]!)
  const runtime = runtimeDigests({ [INSTALL_FILE]: install, [DOWNLOADER_FILE]: await readFile(join(site.dir, DOWNLOADER_FILE)) })
  await writeFile(installPath, install)
  await writeFile(workerPath, workerSource(worker.subarray(eol + 1), { ...config, runtime }))
}
