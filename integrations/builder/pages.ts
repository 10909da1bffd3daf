// Reads every HTML page once: adds the install tag (staging the changed page) and lists the files the page needs.
import { readFile, stat } from 'node:fs/promises'
import { analyzePage, findServiceWorkerRegistration } from './html.ts'
import { findCssReferences, mayReferenceFiles } from './css.ts'
import { BuildError, quote } from './errors.ts'
import type { Stage } from './stage.ts'
import type { SiteFile } from './walk.ts'

export interface PagesResult {
  /** For each HTML page: the site files it needs (direct, and through its stylesheets). */
  deps: Map<string, string[]>
  injected: number
  warnings: string[]
}

export interface PagesContext {
  root: string
  base: string
  /** The install tag's src, or null to leave pages as they are. */
  installSrc: string | null
  stage: Stage
  signal?: AbortSignal
}

const HTML = /\.html?$/i
const CSS = /\.css$/i
const JS = /\.m?js$/i
const SCAN_LIMIT = 4 * 1024 * 1024
const PARALLEL = 16

/** Processes pages in place in `files`: a changed page's entry then points at its staged copy. */
export async function processPages (files: SiteFile[], ctx: PagesContext): Promise<PagesResult> {
  const known = new Set(files.map(f => f.path))
  const direct = new Map<string, string[]>()
  const cssRefs = new Map<string, string[]>()
  const registersWorker: string[] = []
  let injected = 0

  // A few files at a time: each file system call waits on the disk (or the thread pool), and overlapping them
  // hides most of that; one at a time, staging a 1,000-page site took seconds.
  await eachLimited(files, PARALLEL, async file => {
    ctx.signal?.throwIfAborted()
    const isHtml = HTML.test(file.path)
    const isCss = CSS.test(file.path)
    const isJs = JS.test(file.path) && file.size <= SCAN_LIMIT
    if (isCss || isJs) {
      // Most stylesheets and scripts name no URL and register no worker, and their bytes show it without decoding them.
      const bytes = await read(file, ctx.root)
      if (isCss && mayReferenceFiles(bytes)) {
        cssRefs.set(file.path, findCssReferences(bytes.toString('utf8'), file.path, ctx.base).filter(p => known.has(p)))
      }
      if (isJs && bytes.includes('serviceWorker') && findServiceWorkerRegistration(bytes.toString('utf8'))) {
        registersWorker.push(file.path)
      }
      return
    }
    if (!isHtml) return
    const page = analyzePage((await read(file, ctx.root)).toString('utf8'), file.path, ctx.base, ctx.installSrc)
    if (page.registersWorker) registersWorker.push(file.path)
    direct.set(file.path, page.subresources.filter(p => known.has(p) && p !== file.path))
    if (!page.changed) return
    const abs = await ctx.stage.write(file.path, page.html)
    const info = await stat(abs)
    Object.assign(file, { abs, size: info.size, mtimeMs: info.mtimeMs })
    injected++
  })

  // A page needs its stylesheets' fonts and images too, and what those stylesheets @import.
  const deps = new Map<string, string[]>()
  for (const [page, refs] of direct) {
    const seen = new Set<string>()
    const queue = [...refs]
    while (queue.length) {
      const path = queue.shift()!
      if (seen.has(path) || path === page) continue
      seen.add(path)
      queue.push(...(cssRefs.get(path) ?? []))
    }
    deps.set(page, [...seen])
  }

  const warnings: string[] = []
  if (registersWorker.length) {
    registersWorker.sort()
    warnings.push(`The site registers its own service worker (in ${registersWorker.slice(0, 3).map(quote).join(', ')}${registersWorker.length > 3 ? ' and more' : ''}); a page is controlled by one worker only, so the two will conflict. Remove one of them.`)
  }
  return { deps, injected, warnings }
}

async function read (file: SiteFile, root: string): Promise<Buffer> {
  try {
    return await readFile(file.abs)
  } catch (err) {
    throw BuildError.io(err, `${root}/${file.path}`, 'read')
  }
}

async function eachLimited<T> (items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const run = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!)
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run))
}
