// The files a stylesheet loads: url(), @import and image-set() sources, read with a small scanner rather than a full CSS parser.
// The scanner compares character codes, not one-character strings against regular expressions: sheets can be megabytes.
import { isFolderPath, resolveSitePath } from './urls.ts'

// Functions whose string arguments are URLs; `url("x")` is a function with a string, `url(x)` a token of its own.
const URL_FUNCTIONS = new Set(['url', 'image-set', '-webkit-image-set'])

const BACKSLASH = 0x5c
const NEWLINE = 0x0a

function isWhitespace (c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c
}

/** The value of a hex digit, or -1. */
function hexValue (c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  const lower = c | 0x20
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x57 : -1
}

// [A-Za-z0-9_-], or anything outside ASCII.
function isNameChar (c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2d || c >= 0x80
}

/** Reads the escape starting at the backslash `i`; returns the character it stands for and the index after it. */
function readEscape (css: string, i: number): [string, number] {
  let j = i + 1
  let digits = 0
  let cp = 0
  for (let d: number; digits < 6 && j < css.length && (d = hexValue(css.charCodeAt(j))) !== -1; j++, digits++) cp = cp * 16 + d
  if (digits === 0) return [css[j] ?? '', j + 1]
  // One whitespace after a hex escape belongs to the escape.
  if (j < css.length && isWhitespace(css.charCodeAt(j))) j++
  return [cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? '\ufffd' : String.fromCodePoint(cp), j]
}

function readName (css: string, i: number): [string, number] {
  let name = ''
  // Runs without escapes are copied with one slice each.
  let from = i
  while (i < css.length) {
    const c = css.charCodeAt(i)
    if (c === BACKSLASH && css.charCodeAt(i + 1) !== NEWLINE) {
      const [ch, next] = readEscape(css, i)
      name += css.slice(from, i) + ch
      i = from = next
    } else if (isNameChar(c)) {
      i++
    } else {
      break
    }
  }
  return [name + css.slice(from, i), i]
}

function readString (css: string, i: number): [string, number] {
  const quote = css.charCodeAt(i)
  let value = ''
  i++
  let from = i
  while (i < css.length) {
    const c = css.charCodeAt(i)
    if (c === quote || c === NEWLINE) break
    if (c === BACKSLASH) {
      value += css.slice(from, i)
      // A backslash before a newline continues the string on the next line.
      if (css.charCodeAt(i + 1) === NEWLINE) {
        i = from = i + 2
        continue
      }
      const [ch, next] = readEscape(css, i)
      value += ch
      i = from = next
    } else {
      i++
    }
  }
  return [value + css.slice(from, i), i + 1]
}

/** Reads an unquoted `url(` body from `i` (just after the parenthesis) up to its `)`. */
function readBareUrl (css: string, i: number): [string, number] {
  let value = ''
  let from = i
  while (i < css.length) {
    const c = css.charCodeAt(i)
    if (c === 0x29) break
    if (c === BACKSLASH) {
      const [ch, next] = readEscape(css, i)
      value += css.slice(from, i) + ch
      i = from = next
    } else {
      i++
    }
  }
  return [(value + css.slice(from, i)).trim(), i + 1]
}

/** Every URL a stylesheet (or a style attribute) names, as written and unresolved, in source order. */
export function extractCssUrls (css: string): string[] {
  const urls: string[] = []
  // Names of the functions open around the scanner, innermost last ('' for a bare parenthesis).
  const open: string[] = []
  // After `@import`, the first string or url() of the rule is the imported sheet.
  let inImport = false
  let i = 0
  while (i < css.length) {
    const c = css.charCodeAt(i)
    if (c === 0x2f && css.charCodeAt(i + 1) === 0x2a) { // /*
      const end = css.indexOf('*/', i + 2)
      i = end === -1 ? css.length : end + 2
    } else if (c === 0x22 || c === 0x27) { // " '
      const [value, next] = readString(css, i)
      const fn = open.at(-1)
      if (fn === undefined ? inImport : URL_FUNCTIONS.has(fn)) {
        urls.push(value)
        inImport = false
      }
      i = next
    } else if (c === 0x40) { // @
      const [name, next] = readName(css, i + 1)
      inImport = open.length === 0 && name.toLowerCase() === 'import'
      i = next
    } else if (c === BACKSLASH || isNameChar(c)) {
      const [name, next] = readName(css, i)
      // A backslash before a newline starts no name: step over it.
      i = next === i ? i + 1 : next
      if (css.charCodeAt(i) !== 0x28) continue
      const fn = name.toLowerCase()
      i++
      let j = i
      while (j < css.length && isWhitespace(css.charCodeAt(j))) j++
      const q = css.charCodeAt(j)
      if (fn === 'url' && q !== 0x22 && q !== 0x27) {
        const [value, after] = readBareUrl(css, j)
        if (value !== '') urls.push(value)
        if (open.length === 0) inImport = false
        i = after
      } else {
        open.push(fn)
      }
    } else {
      if (c === 0x28) open.push('')
      else if (c === 0x29) open.pop()
      // A rule or block boundary closes anything an unbalanced function left open.
      else if (c === 0x3b || c === 0x7b || c === 0x7d) { // ; { }
        open.length = 0
        inImport = false
      }
      i++
    }
  }
  return urls
}

/** The site files a stylesheet at `cssPath` loads, as decoded site paths in source order; `@import`s are listed, not followed. */
export function findCssReferences (css: string, cssPath: string, base = '/'): string[] {
  const found = new Set<string>()
  for (const ref of extractCssUrls(css)) {
    const path = resolveSitePath(ref, cssPath, base)
    if (path !== null && !isFolderPath(path)) found.add(path)
  }
  return [...found]
}

// Every way the scanner above can meet `@import`, `url(` or `image-set(` (which `-webkit-image-set(` ends with), in any case:
// each letter as itself, escaped (`\l`), or as a hex escape (`\6c `). Any hex escape is allowed, whatever it decodes to, so a
// match means only "maybe"; no match means the scanner would find nothing.
const letter = (c: string): string => `(?:${c}|\\\\${c}|\\\\[\\da-f]{1,6}[\\t\\n\\f\\r ]?)`
const spelled = (name: string): string => [...name].map(letter).join('')
const MAY_NAME_URLS = new RegExp(`@${spelled('import')}|${spelled('url')}\\(|${spelled('image-set')}\\(`, 'i')

/** False when a stylesheet's bytes cannot name any URL, so it need not be decoded and scanned at all. */
export function mayReferenceFiles (bytes: Buffer): boolean {
  // Latin-1 maps each byte to one character without decoding; the bytes of UTF-8 characters beyond ASCII never look like ASCII.
  return MAY_NAME_URLS.test(bytes.toString('latin1'))
}
