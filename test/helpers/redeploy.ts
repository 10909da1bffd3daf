// Deploys for the update tests: the test site rebuilt in place while its origin serves it, and what a visitor's
// browser holds (its store, its workers) read from one of its pages.
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { Page } from 'playwright-core'
import type { Options } from '../../integrations/options.ts'
import type { Manifest } from '../../runtime/shared/manifest.ts'
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
  return within(page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('planktos:/')
      req.onsuccess = () => resolve(req.result)
      req.onerror = () => reject(req.error)
    })
    try {
      return await new Promise<string[]>((resolve, reject) => {
        const r = db.transaction('files').objectStore('files').getAllKeys()
        r.onsuccess = () => resolve(r.result as string[])
        r.onerror = () => reject(r.error)
      })
    } finally {
      db.close()
    }
  }), 'the store to be read')
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
