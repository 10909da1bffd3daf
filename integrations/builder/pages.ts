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
  const untouched: string[] = []
  const unreadable: string[] = []
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
    const text = decodePage(await read(file, ctx.root))
    if (!text) {
      if (ctx.installSrc !== null) unreadable.push(file.path)
      return
    }
    const page = analyzePage(text.html, file.path, ctx.base, ctx.installSrc, path => known.has(path))
    if (page.registersWorker) registersWorker.push(file.path)
    direct.set(file.path, page.subresources.filter(p => known.has(p) && p !== file.path))
    if (!page.changed) return
    // Writing to a page reached through a symlink would write to its target (maybe outside the site), or replace
    // the link with the target's bytes: such a page keeps its bytes, and is shared without the tag.
    if (file.linked) {
      untouched.push(file.path)
      return
    }
    const abs = await ctx.stage.write(file.path, Buffer.from(page.html, text.encoding))
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
  if (untouched.length) {
    warnings.push(`Left ${list(untouched)} without the install tag: reached through a symlink, which planktos never writes through. Copy the file into the folder to have it tagged.`)
  }
  if (unreadable.length) {
    warnings.push(`Left ${list(unreadable)} without the install tag: encoded as UTF-16 or UTF-32, which planktos does not edit. Save it as UTF-8 to have it tagged.`)
  }
  if (registersWorker.length) {
    warnings.push(`The site registers its own service worker (in ${list(registersWorker)}); a page is controlled by one worker only, so the two will conflict. Remove one of them.`)
  }
  return { deps, injected, warnings }
}

/** A few names, for a warning about many files. */
function list (paths: string[]): string {
  paths.sort()
  return `${paths.slice(0, 3).map(quote).join(', ')}${paths.length > 3 ? ` and ${paths.length - 3} more` : ''}`
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * The page as text, and the encoding that turns the edited text back into bytes changing nothing but the edit:
 * UTF-8 when the bytes are valid UTF-8, else latin1 (one character per byte, so a windows-1252 or Shift_JIS page
 * keeps every byte; the markup planktos reads is ASCII in all of them). Null for UTF-16 and UTF-32, where a tag
 * written as ASCII would corrupt the page.
 */
function decodePage (bytes: Buffer): { html: string, encoding: 'utf8' | 'latin1' } | null {
  const head = bytes.subarray(0, 512)
  if ((head[0] === 0xfe && head[1] === 0xff) || (head[0] === 0xff && head[1] === 0xfe) || head.includes(0)) return null
  try {
    return { html: UTF8.decode(bytes), encoding: 'utf8' }
  } catch {
    return { html: bytes.toString('latin1'), encoding: 'latin1' }
  }
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
