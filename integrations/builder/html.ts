// Reading and editing built pages: the install tag, the files a page loads, a service worker the site registers itself.
// htmlparser2 tokenizes like a browser (comments, raw-text <script>/<style>, entities, any tag case) and reports
// the source offsets of each tag, so an edit touches only the bytes it means to.
import { type Handler, Parser } from 'htmlparser2'
import { extractCssUrls } from './css.ts'
import { isExternal, isFolderPath, pageUrl, resolveUrl, toSitePath } from './urls.ts'

/** Offsets into the page, end exclusive. */
interface Span {
  start: number
  end: number
}

// Elements a browser keeps in the head; any other element, or text, at the top level starts the body.
const HEAD_CONTENT = new Set(['base', 'link', 'meta', 'noscript', 'script', 'style', 'template', 'title'])

function escapeAttribute (value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;')
}

function isCharsetMeta (attribs: Record<string, string>): boolean {
  return Object.hasOwn(attribs, 'charset') || attribs['http-equiv']?.toLowerCase() === 'content-type'
}

/** Where a new install tag goes, and the install tags already on the page. */
function locate (html: string): { insertAt: number, tags: Span[] } {
  let afterDoctype = -1
  let afterHtml = -1
  let afterHead = -1
  let afterCharset = -1
  let inHead = true
  // Open elements other than <html> and <head>; only top-level content ends the head.
  let depth = 0
  let tagStart = -1
  const tags: Span[] = []
  const handler: Partial<Handler> = {
    onprocessinginstruction (name) {
      if (name === '!doctype' && afterDoctype === -1) afterDoctype = parser.endIndex + 1
    },
    onopentag (name, attribs, implied) {
      if (name === 'script' && Object.hasOwn(attribs, 'data-planktos')) tagStart = parser.startIndex
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
    onclosetag (name) {
      if (name === 'script' && tagStart !== -1) {
        tags.push({ start: tagStart, end: Math.min(parser.endIndex + 1, html.length) })
        tagStart = -1
      }
      if (name === 'head') inHead = false
      if (name !== 'html' && name !== 'head') depth--
    },
    ontext (text) {
      if (depth === 0 && /\S/.test(text)) inHead = false
    },
  }
  const parser = new Parser(handler)
  parser.parseComplete(html)
  // After <meta charset> so it stays in the first 1024 bytes, else after <head>, <html>, the doctype, or the BOM:
  // each is parsed into the head (explicit or implied), ahead of anything in the body.
  const start = html.startsWith('\ufeff') ? 1 : 0
  const insertAt = [afterCharset, afterHead, afterHtml, afterDoctype].find(at => at !== -1) ?? start
  return { insertAt, tags }
}

/** Adds the async planktos install tag to a page's head, or updates the one already there; running it twice changes nothing. */
export function injectInstallTag (html: string, src: string): { html: string, changed: boolean } {
  const tag = `<script src="${escapeAttribute(src)}" async data-planktos></script>`
  const { insertAt, tags } = locate(html)
  const [first, ...extra] = tags
  if (first === undefined) {
    return { html: html.slice(0, insertAt) + tag + html.slice(insertAt), changed: true }
  }
  // A page edited by hand or by an older build may carry more than one: keep the first, drop the rest.
  let out = html
  for (const span of extra.reverse()) out = out.slice(0, span.start) + out.slice(span.end)
  out = out.slice(0, first.start) + tag + out.slice(first.end)
  return { html: out, changed: out !== html }
}

const REGISTER = /\bserviceWorker\s*\??\.\s*register\s*\(/
const JS_TYPE = /^(?:|module|(?:text|application)\/(?:x-)?(?:java|ecma)script)$/i

/** Text of the inline scripts a browser would run. */
function inlineScripts (html: string): string[] {
  const scripts: string[] = []
  let current: string | null = null
  const parser = new Parser({
    onopentag (name, attribs) {
      if (name === 'script' && !Object.hasOwn(attribs, 'src') && JS_TYPE.test((attribs.type ?? '').trim())) current = ''
    },
    ontext (text) {
      if (current !== null) current += text
    },
    onclosetag (name) {
      if (name === 'script' && current !== null) {
        scripts.push(current)
        current = null
      }
    },
  })
  parser.parseComplete(html)
  return scripts
}

/** True if a page's inline scripts, or a script file's text, call `navigator.serviceWorker.register(`. */
export function findServiceWorkerRegistration (text: string): boolean {
  // No script file starts with `<`; a page does, and only its scripts count, not prose about service workers.
  if (!/^\ufeff?\s*</.test(text)) return REGISTER.test(text)
  return inlineScripts(text).some(script => REGISTER.test(script))
}

const SPACE = /[\t\n\f\r ]/
// Link types whose target the page itself needs.
const LINK_RELS = new Set(['stylesheet', 'preload', 'modulepreload', 'icon', 'apple-touch-icon', 'apple-touch-icon-precomposed', 'mask-icon', 'manifest'])

/** The URLs of a `srcset`, split into candidates as the HTML standard does: a comma inside a URL stays, a trailing one ends it. */
function srcsetUrls (srcset: string | undefined): string[] {
  const urls: string[] = []
  if (srcset === undefined) return urls
  let i = 0
  while (i < srcset.length) {
    while (i < srcset.length && (SPACE.test(srcset[i]!) || srcset[i] === ',')) i++
    const start = i
    while (i < srcset.length && !SPACE.test(srcset[i]!)) i++
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
    if (url !== '') urls.push(url)
  }
  return urls
}

function present (...values: Array<string | undefined>): string[] {
  return values.filter(value => value !== undefined)
}

/** References an element's own attributes make the page load, as written. */
function elementRefs (name: string, attribs: Record<string, string>): string[] {
  switch (name) {
    case 'link': {
      const rels = (attribs.rel ?? '').toLowerCase().split(/\s+/)
      return rels.some(rel => LINK_RELS.has(rel)) ? [...present(attribs.href), ...srcsetUrls(attribs.imagesrcset)] : []
    }
    case 'img':
    case 'source':
      return [...present(attribs.src), ...srcsetUrls(attribs.srcset)]
    case 'video':
      return present(attribs.src, attribs.poster)
    case 'script':
    case 'audio':
    case 'track':
    case 'embed':
      return present(attribs.src)
    case 'input':
      return attribs.type?.trim().toLowerCase() === 'image' ? present(attribs.src) : []
    case 'object':
      return present(attribs.data)
    // Inside inline SVG; SVG 2's `href` wins over the older `xlink:href`.
    case 'image':
    case 'use':
    case 'feImage':
      return present(attribs.href ?? attribs['xlink:href'])
    // Astro's hydration script imports these as soon as the island becomes visible.
    case 'astro-island':
      return present(attribs['component-url'], attribs['renderer-url'], attribs['before-hydration-url'])
    default:
      return []
  }
}

/** The site files the page at `pagePath` loads, as decoded site paths in document order, resolved as a browser would. */
export function findSubresources (html: string, pagePath: string, base = '/'): string[] {
  const refs: string[] = []
  let baseHref: string | undefined
  let style: string | null = null
  // Planktos runs only where scripts do, and there a browser never loads what <noscript> holds.
  let noscript = 0
  const parser = new Parser({
    onopentag (name, attribs) {
      if (name === 'noscript') noscript++
      if (noscript > 0) return
      if (name === 'base' && baseHref === undefined && Object.hasOwn(attribs, 'href')) baseHref = attribs.href
      refs.push(...elementRefs(name, attribs))
      if (attribs.style !== undefined) refs.push(...extractCssUrls(attribs.style))
      if (name === 'style') style = ''
    },
    ontext (text) {
      if (style !== null) style += text
    },
    onclosetag (name) {
      if (name === 'noscript') noscript--
      if (name === 'style' && style !== null) {
        refs.push(...extractCssUrls(style))
        style = null
      }
    },
  })
  parser.parseComplete(html)

  const page = pageUrl(pagePath, base)
  // A base on another origin moves every relative reference there too; the site's own origin is unknown here.
  if (baseHref !== undefined && isExternal(baseHref)) return []
  const from = baseHref === undefined ? page : resolveUrl(baseHref, page) ?? page
  const found = new Set<string>()
  for (const ref of refs) {
    const url = resolveUrl(ref, from)
    const path = url === null ? null : toSitePath(url, base)
    if (path !== null && !isFolderPath(path)) found.add(path)
  }
  return [...found]
}
