// Reads every HTML page once: adds the install tag (staging the changed page) and lists the files the page needs.
import { readFileSync, statSync } from 'node:fs'
import { analyzePage, findServiceWorkerRegistration } from './html.ts'
import { findCssReferences, mayReferenceFiles } from './css.ts'
import { BuildError } from './errors.ts'
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
const YIELD_EVERY = 64

/** Processes pages in place in `files`: a changed page's entry then points at its staged copy. */
export async function processPages (files: SiteFile[], ctx: PagesContext): Promise<PagesResult> {
  const known = new Set(files.map(f => f.path))
  const direct = new Map<string, string[]>()
  const cssRefs = new Map<string, string[]>()
  const registersWorker: string[] = []
  let injected = 0

  // Synchronous reads and writes, one file after another: each async call was a round trip through libuv's
  // thread pool, and for a site of small pages those round trips, not the parsing, were most of this phase.
  for (const [i, file] of files.entries()) {
    if (i % YIELD_EVERY === 0) {
      // Let progress, aborts and signals through.
      await new Promise(resolve => setImmediate(resolve))
      ctx.signal?.throwIfAborted()
    }
    const isHtml = HTML.test(file.path)
    const isCss = CSS.test(file.path)
    const isJs = JS.test(file.path) && file.size <= SCAN_LIMIT
    if (isCss || isJs) {
      // Most stylesheets and scripts name no URL and register no worker, and their bytes show it without decoding them.
      const bytes = read(file, ctx.root)
      if (isCss && mayReferenceFiles(bytes)) {
        cssRefs.set(file.path, findCssReferences(bytes.toString('utf8'), file.path, ctx.base).filter(p => known.has(p)))
      }
      if (isJs && bytes.includes('serviceWorker') && findServiceWorkerRegistration(bytes.toString('utf8'))) {
        registersWorker.push(file.path)
      }
      continue
    }
    if (!isHtml) continue
    const page = analyzePage(read(file, ctx.root).toString('utf8'), file.path, ctx.base, ctx.installSrc)
    if (page.registersWorker) registersWorker.push(file.path)
    direct.set(file.path, page.subresources.filter(p => known.has(p) && p !== file.path))
    if (!page.changed) continue
    const abs = ctx.stage.write(file.path, page.html)
    const info = statSync(abs)
    Object.assign(file, { abs, size: info.size, mtimeMs: info.mtimeMs })
    injected++
  }

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
    warnings.push(`The site registers its own service worker (in ${registersWorker.slice(0, 3).map(p => `"${p}"`).join(', ')}${registersWorker.length > 3 ? ' and more' : ''}); a page is controlled by one worker only, so the two will conflict. Remove one of them.`)
  }
  return { deps, injected, warnings }
}

function read (file: SiteFile, root: string): Buffer {
  try {
    return readFileSync(file.abs)
  } catch (err) {
    throw BuildError.io(err, `${root}/${file.path}`, 'read')
  }
}
