// Reading and editing built pages: the install tag, the files a page loads, a service worker the site registers itself,
// media elements held back until the worker can answer them.
// htmlparser2 tokenizes like a browser (comments, raw-text <script>/<style>, entities, any tag case) and reports
// the source offsets of each tag, so an edit touches only the bytes it means to. Tokenizing is the costly part of a
// build's page phase, so one pass (`scanPage`) collects what all three questions need.
import { Parser } from 'htmlparser2'
import { MEDIA_MARK } from '../../runtime/shared/media-mark.ts'
import { extractCssUrls } from './css.ts'
import { isExternal, isFolderPath, pageUrl, resolveUrl, toSitePath } from './urls.ts'

/** Offsets into the page, end exclusive. */
interface Span {
  start: number
  end: number
}

/** An `<audio>` or `<video>` start tag, with what decides whether it may wait for the worker. */
interface MediaTag {
  /** Just after the tag's name: where `preload="none"` goes. */
  nameEnd: number
  /** The element's own `preload` attribute (its first: a browser ignores a repeated one). */
  preload?: Span & { value: string }
  /** `autoplay` (a browser ignores `preload` then), or already held back by a build. */
  leave: boolean
  /** Its `src`, or its `<source>` children's when it has none, as written. */
  refs: string[]
  hasSrc?: boolean
}

/** What one pass over a page finds. */
interface PageScan {
  /** Where a new install tag goes. */
  insertAt: number
  /** The install tags already on the page. */
  installTags: Span[]
  /** Text of the inline scripts a browser would run. */
  scripts: string[]
  /** What the page loads, as written, in document order; <noscript> content left out. */
  refs: string[]
  /** The first <base href>, as written. */
  baseHref: string | undefined
  /** Media elements a script-less browser would not see either: none inside <noscript> or <template>. */
  media: MediaTag[]
}

// Elements a browser keeps in the head; any other element, or text, at the top level starts the body.
const HEAD_CONTENT = new Set(['base', 'link', 'meta', 'noscript', 'script', 'style', 'template', 'title'])
const JS_TYPE = /^(?:|module|(?:text|application)\/(?:x-)?(?:java|ecma)script)$/i

function isCharsetMeta (attribs: Record<string, string>): boolean {
  return Object.hasOwn(attribs, 'charset') || attribs['http-equiv']?.toLowerCase() === 'content-type'
}

/** Tokenizes the page once, collecting what the install tag, the subresource list and the worker check each need. */
function scanPage (html: string): PageScan {
  // Where the install tag goes, and the install tags already there.
  let afterDoctype = -1
  let afterHtml = -1
  let afterHead = -1
  let afterCharset = -1
  let inHead = true
  // Open elements other than <html> and <head>; only top-level content ends the head.
  let depth = 0
  let tagStart = -1
  const installTags: Span[] = []
  // Inline scripts.
  const scripts: string[] = []
  let script: string | null = null
  // Subresources. Planktos runs only where scripts do, and there a browser never loads what <noscript> holds.
  const refs: string[] = []
  let baseHref: string | undefined
  let style: string | null = null
  let noscript = 0
  // Media elements; <template> content is cloned by scripts whenever they like, maybe after install.js ran.
  const media: MediaTag[] = []
  let openMedia: MediaTag | null = null
  let template = 0
  let inMediaTag = false

  const parser = new Parser({
    onopentagname (name) {
      inMediaTag = (name === 'audio' || name === 'video') && noscript === 0 && template === 0
      if (inMediaTag) openMedia = { nameEnd: parser.endIndex, leave: false, refs: [] }
    },
    onattribute (name, value) {
      if (inMediaTag && name === 'preload' && openMedia && !openMedia.preload) {
        openMedia.preload = { start: parser.startIndex, end: parser.endIndex, value }
      }
    },
    onprocessinginstruction (name) {
      if (name === '!doctype' && afterDoctype === -1) afterDoctype = parser.endIndex + 1
    },
    onopentag (name, attribs, implied) {
      if (name === 'script') {
        if (Object.hasOwn(attribs, 'data-planktos')) tagStart = parser.startIndex
        if (!Object.hasOwn(attribs, 'src') && JS_TYPE.test((attribs.type ?? '').trim())) script = ''
      }

      if (inMediaTag && openMedia) {
        inMediaTag = false
        openMedia.leave = Object.hasOwn(attribs, 'autoplay') || Object.hasOwn(attribs, MEDIA_MARK)
        add(openMedia.refs, attribs.src)
        openMedia.hasSrc = Object.hasOwn(attribs, 'src')
      } else if (name === 'source' && openMedia && !openMedia.hasSrc) {
        // A browser ignores an element's <source> children when it has a src.
        add(openMedia.refs, attribs.src)
      }
      if (name === 'template') template++

      if (name === 'noscript') noscript++
      if (noscript === 0) {
        if (name === 'base' && baseHref === undefined && Object.hasOwn(attribs, 'href')) baseHref = attribs.href
        addElementRefs(name, attribs, refs)
        if (attribs.style !== undefined) refs.push(...extractCssUrls(attribs.style))
        if (name === 'style') style = ''
      }

      if (name !== 'html' && name !== 'head') depth++
      if (!inHead || implied) return
      const end = parser.endIndex + 1
      if (name === 'html') {
        if (afterHtml === -1) afterHtml = end
      } else if (name === 'head') {
        if (afterHead === -1) afterHead = end
      } else if (name === 'body' || (depth === 1 && !HEAD_CONTENT.has(name))) {
        inHead = false
      } else if (name === 'meta' && depth === 1 && afterCharset === -1 && isCharsetMeta(attribs)) {
        afterCharset = end
      }
    },
    ontext (text) {
      if (depth === 0 && /\S/.test(text)) inHead = false
      if (script !== null) script += text
      if (style !== null) style += text
    },
    onclosetag (name) {
      if (name === 'script') {
        if (tagStart !== -1) {
          installTags.push({ start: tagStart, end: Math.min(parser.endIndex + 1, html.length) })
          tagStart = -1
        }
        if (script !== null) {
          scripts.push(script)
          script = null
        }
      }
      if (name === 'head') inHead = false
      if (name !== 'html' && name !== 'head') depth--
      if (name === 'template') template--
      if ((name === 'audio' || name === 'video') && openMedia) {
        media.push(openMedia)
        openMedia = null
      }

      if (name === 'noscript') noscript--
      if (name === 'style' && style !== null) {
        refs.push(...extractCssUrls(style))
        style = null
      }
    },
  })
  parser.parseComplete(html)
  // After <meta charset> so it stays in the first 1024 bytes, else after <head>, <html>, the doctype, or the BOM:
  // each is parsed into the head (explicit or implied), ahead of anything in the body.
  const start = html.startsWith('\ufeff') ? 1 : 0
  const insertAt = [afterCharset, afterHead, afterHtml, afterDoctype].find(at => at !== -1) ?? start
  return { insertAt, installTags, scripts, refs, baseHref, media }
}

function escapeAttribute (value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;')
}

/** Replaces `start` to `end` (end exclusive) with `text`. */
interface Edit extends Span {
  text: string
}

function applyEdits (html: string, edits: Edit[]): { html: string, changed: boolean } {
  let out = html
  // From the end, so each edit's offsets still hold; edits never overlap (one per tag at most).
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end)
  return { html: out, changed: out !== html }
}

function installTagEdits (scan: PageScan, src: string): Edit[] {
  const tag = `<script src="${escapeAttribute(src)}" async data-planktos></script>`
  const [first, ...extra] = scan.installTags
  if (first === undefined) return [{ start: scan.insertAt, end: scan.insertAt, text: tag }]
  // A page edited by hand or by an older build may carry more than one: keep the first, drop the rest.
  return [{ ...first, text: tag }, ...extra.map(span => ({ ...span, text: '' }))]
}

/**
 * A media element that would load its file while the page is parsed (`preload` other than `none`, no `autoplay`)
 * gets `preload="none"` and its own value in MEDIA_MARK (empty when it had none), for the site's files only: on a
 * visitor's first page no worker exists yet, so those bytes would all come from the origin (on a fast link a
 * `metadata` preload takes the whole file), and once the worker controls the page install.js restores the value and
 * the element loads through it, from peers. The attribute the author wrote is taken out rather than shadowed by a
 * duplicate, which HTML calls a parse error.
 */
function mediaEdits (html: string, scan: PageScan, inSite: (ref: string) => boolean): Edit[] {
  const edits: Edit[] = []
  for (const m of scan.media) {
    // As a browser reads it: ASCII case-insensitive, not trimmed (" none " is no keyword, and loads).
    const value = m.preload?.value ?? ''
    if (m.leave || value.toLowerCase() === 'none' || !m.refs.some(inSite)) continue
    // An empty preload="" means `auto`; an empty mark means there was no attribute to restore.
    const kept = m.preload ? (value || 'auto') : ''
    const text = ` preload="none" ${MEDIA_MARK}="${escapeAttribute(kept)}"`
    if (!m.preload) {
      edits.push({ start: m.nameEnd, end: m.nameEnd, text })
      continue
    }
    // In the author's attribute's place, with the blanks before it: one edit, so none overlaps another.
    let start = m.preload.start
    while (start > m.nameEnd && isSpace(html.charCodeAt(start - 1))) start--
    edits.push({ start, end: m.preload.end, text })
  }
  return edits
}

/** Adds the async planktos install tag to a page's head, or updates the one already there; running it twice changes nothing. */
export function injectInstallTag (html: string, src: string): { html: string, changed: boolean } {
  return applyEdits(html, installTagEdits(scanPage(html), src))
}

const REGISTER = /\bserviceWorker\s*\??\.\s*register\s*\(/
// No script file starts with `<`; a page does, and only its scripts count, not prose about service workers.
const MARKUP = /^\ufeff?\s*</

/** True if a page's inline scripts, or a script file's text, call `navigator.serviceWorker.register(`. */
export function findServiceWorkerRegistration (text: string): boolean {
  if (!MARKUP.test(text)) return text.includes('serviceWorker') && REGISTER.test(text)
  return registersIn(scanPage(text))
}

// Not a search of the page's text: in inline SVG a script's character references are decoded (`serviceWork&#101;r`).
function registersIn (scan: PageScan): boolean {
  return scan.scripts.some(script => REGISTER.test(script))
}

// Link types whose target the page itself needs.
const LINK_RELS = new Set(['stylesheet', 'preload', 'modulepreload', 'icon', 'apple-touch-icon', 'apple-touch-icon-precomposed', 'mask-icon', 'manifest'])

function isSpace (c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d
}

/** Adds the URLs of a `srcset`, split into candidates as the HTML standard does: a comma inside a URL stays, a trailing one ends it. */
function addSrcsetUrls (srcset: string | undefined, out: string[]): void {
  if (srcset === undefined) return
  let i = 0
  while (i < srcset.length) {
    while (i < srcset.length && (isSpace(srcset.charCodeAt(i)) || srcset[i] === ',')) i++
    const start = i
    while (i < srcset.length && !isSpace(srcset.charCodeAt(i))) i++
    let url = srcset.slice(start, i)
    if (url.endsWith(',')) {
      url = url.replace(/,+$/, '')
    } else {
      // Skip the descriptors ("1x", "480w", or future ones with parentheses) up to the next candidate.
      let inParens = false
      while (i < srcset.length) {
        const c = srcset[i++]
        if (c === '(') inParens = true
        else if (c === ')') inParens = false
        else if (c === ',' && !inParens) break
      }
    }
    if (url !== '') out.push(url)
  }
}

function add (out: string[], ...values: Array<string | undefined>): void {
  for (const value of values) if (value !== undefined) out.push(value)
}

/** Adds the references an element's own attributes make the page load, as written. */
function addElementRefs (name: string, attribs: Record<string, string>, out: string[]): void {
  switch (name) {
    case 'link': {
      const rels = (attribs.rel ?? '').toLowerCase().split(/\s+/)
      if (rels.some(rel => LINK_RELS.has(rel))) {
        add(out, attribs.href)
        addSrcsetUrls(attribs.imagesrcset, out)
      }
      return
    }
    case 'img':
    case 'source':
      add(out, attribs.src)
      addSrcsetUrls(attribs.srcset, out)
      return
    case 'video':
      return add(out, attribs.src, attribs.poster)
    case 'script':
    case 'audio':
    case 'track':
    case 'embed':
      return add(out, attribs.src)
    case 'input':
      if (attribs.type?.trim().toLowerCase() === 'image') add(out, attribs.src)
      return
    case 'object':
      return add(out, attribs.data)
    // Inside inline SVG; SVG 2's `href` wins over the older `xlink:href`.
    case 'image':
    case 'use':
    case 'feImage':
      return add(out, attribs.href ?? attribs['xlink:href'])
    // Astro's hydration script imports these as soon as the island becomes visible.
    case 'astro-island':
      return add(out, attribs['component-url'], attribs['renderer-url'], attribs['before-hydration-url'])
  }
}

/** Resolves a reference of the page to a site path as a browser would, or null (another site, a folder). */
function siteResolver (scan: PageScan, pagePath: string, base: string): (ref: string) => string | null {
  const { baseHref } = scan
  // A base on another origin moves every relative reference there too; the site's own origin is unknown here.
  if (baseHref !== undefined && isExternal(baseHref)) return () => null
  const page = pageUrl(pagePath, base)
  const from = baseHref === undefined ? page : resolveUrl(baseHref, page) ?? page
  return ref => {
    const url = resolveUrl(ref, from)
    const path = url === null ? null : toSitePath(url, base)
    return path !== null && !isFolderPath(path) ? path : null
  }
}

function resolveRefs (scan: PageScan, resolve: (ref: string) => string | null): string[] {
  const found = new Set<string>()
  for (const ref of scan.refs) {
    const path = resolve(ref)
    if (path !== null) found.add(path)
  }
  return [...found]
}

/** The site files the page at `pagePath` loads, as decoded site paths in document order, resolved as a browser would. */
export function findSubresources (html: string, pagePath: string, base = '/'): string[] {
  const scan = scanPage(html)
  return resolveRefs(scan, siteResolver(scan, pagePath, base))
}

/**
 * `injectInstallTag` with the media elements held back for the worker (unless `installSrc` is null: a page without
 * install.js would keep them held back; only those whose file `isSiteFile`, a path the worker serves),
 * `findSubresources` and `findServiceWorkerRegistration` for one page, from one pass over it.
 */
export function analyzePage (html: string, pagePath: string, base: string, installSrc: string | null, isSiteFile: (path: string) => boolean = () => true): { html: string, changed: boolean, subresources: string[], registersWorker: boolean } {
  const scan = scanPage(html)
  const resolve = siteResolver(scan, pagePath, base)
  const registersWorker = MARKUP.test(html) ? registersIn(scan) : findServiceWorkerRegistration(html)
  const inSite = (ref: string): boolean => {
    const path = resolve(ref)
    return path !== null && isSiteFile(path)
  }
  const placed = installSrc === null
    ? { html, changed: false }
    : applyEdits(html, [...installTagEdits(scan, installSrc), ...mediaEdits(html, scan, inSite)])
  return { ...placed, subresources: resolveRefs(scan, resolve), registersWorker }
}
