// The files a stylesheet loads: url(), @import and image-set() sources, read with a small scanner rather than a full CSS parser.
import { isFolderPath, resolveSitePath } from './urls.ts'

// Functions whose string arguments are URLs; `url("x")` is a function with a string, `url(x)` a token of its own.
const URL_FUNCTIONS = new Set(['url', 'image-set', '-webkit-image-set'])
const HEX = /[\da-f]/i
const WHITESPACE = /[ \t\n\r\f]/

function isNameChar (c: string): boolean {
  return /[\w-]/.test(c) || c.charCodeAt(0) >= 0x80
}

/** Reads the escape starting at the backslash `i`; returns the character it stands for and the index after it. */
function readEscape (css: string, i: number): [string, number] {
  let j = i + 1
  let hex = ''
  while (hex.length < 6 && j < css.length && HEX.test(css[j]!)) hex += css[j++]
  if (hex === '') return [css[j] ?? '', j + 1]
  // One whitespace after a hex escape belongs to the escape.
  if (j < css.length && WHITESPACE.test(css[j]!)) j++
  const cp = parseInt(hex, 16)
  return [cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? '\ufffd' : String.fromCodePoint(cp), j]
}

function readName (css: string, i: number): [string, number] {
  let name = ''
  while (i < css.length) {
    const c = css[i]!
    if (c === '\\' && css[i + 1] !== '\n') {
      const [ch, next] = readEscape(css, i)
      name += ch
      i = next
    } else if (isNameChar(c)) {
      name += c
      i++
    } else {
      break
    }
  }
  return [name, i]
}

function readString (css: string, i: number): [string, number] {
  const quote = css[i]
  let value = ''
  i++
  while (i < css.length && css[i] !== quote && css[i] !== '\n') {
    if (css[i] === '\\') {
      // A backslash before a newline continues the string on the next line.
      if (css[i + 1] === '\n') {
        i += 2
        continue
      }
      const [ch, next] = readEscape(css, i)
      value += ch
      i = next
    } else {
      value += css[i++]
    }
  }
  return [value, i + 1]
}

/** Reads an unquoted `url(` body from `i` (just after the parenthesis) up to its `)`. */
function readBareUrl (css: string, i: number): [string, number] {
  let value = ''
  while (i < css.length && css[i] !== ')') {
    if (css[i] === '\\') {
      const [ch, next] = readEscape(css, i)
      value += ch
      i = next
    } else {
      value += css[i++]
    }
  }
  return [value.trim(), i + 1]
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
    const c = css[i]!
    if (c === '/' && css[i + 1] === '*') {
      const end = css.indexOf('*/', i + 2)
      i = end === -1 ? css.length : end + 2
    } else if (c === '"' || c === "'") {
      const [value, next] = readString(css, i)
      const fn = open.at(-1)
      if (fn === undefined ? inImport : URL_FUNCTIONS.has(fn)) {
        urls.push(value)
        inImport = false
      }
      i = next
    } else if (c === '@') {
      const [name, next] = readName(css, i + 1)
      inImport = open.length === 0 && name.toLowerCase() === 'import'
      i = next
    } else if (c === '\\' || isNameChar(c)) {
      const [name, next] = readName(css, i)
      // A backslash before a newline starts no name: step over it.
      i = next === i ? i + 1 : next
      if (css[i] !== '(') continue
      const fn = name.toLowerCase()
      i++
      let j = i
      while (j < css.length && WHITESPACE.test(css[j]!)) j++
      if (fn === 'url' && css[j] !== '"' && css[j] !== "'") {
        const [value, after] = readBareUrl(css, j)
        if (value !== '') urls.push(value)
        if (open.length === 0) inImport = false
        i = after
      } else {
        open.push(fn)
      }
    } else {
      if (c === '(') open.push('')
      else if (c === ')') open.pop()
      // A rule or block boundary closes anything an unbalanced function left open.
      else if (c === ';' || c === '{' || c === '}') {
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
