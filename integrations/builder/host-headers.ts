// The security headers the origin sends with each file, known at build time, so a visitor who gets a page from a
// peer (never seeing the origin's answer) gets them too. Two sources, applied in this order: the host's `_headers`
// file in the output folder (Netlify and Cloudflare Pages format), then the `headers` option (same patterns).
// Only security headers (SECURITY_HEADERS) are kept: caching and cookies are not the worker's to repeat.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { SECURITY_HEADERS } from '../../runtime/shared/manifest.ts'
import { BuildError, quote } from './errors.ts'

/**
 * A URL path pattern with the headers the host adds to what it matches; a null value removes the header (`! Name`).
 * `_headers` rules add to what earlier rules set, as the hosts do; the option's rules (`replace`) replace it.
 */
export interface HeaderRule { pattern: string, headers: Record<string, string | null>, replace?: boolean }

export const HEADERS_FILE = '_headers'
const SECURITY = new Set(SECURITY_HEADERS)

/** Parses a `_headers` file: a URL path pattern on its own line, then indented `Name: value` (or `! Name`) lines. */
export function parseHeadersFile (text: string): { rules: HeaderRule[], warnings: string[] } {
  const rules: HeaderRule[] = []
  const warnings: string[] = []
  let rule: HeaderRule | null = null
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    if (!/^\s/.test(raw)) {
      // A rule for an absolute URL (another host name) is not this site's; it is read, and never matches.
      rule = { pattern: line, headers: {} }
      rules.push(rule)
      continue
    }
    const detach = /^!\s*([^\s:]+)$/.exec(line)
    const header = /^([^\s:]+)\s*:\s*(.*)$/.exec(line)
    if (!rule || (!detach && !header)) {
      warnings.push(`Ignored line ${i + 1} of ${HEADERS_FILE}: ${quote(line)} is not "Name: value" under a path.`)
      continue
    }
    if (detach) rule.headers[detach[1]!.toLowerCase()] = null
    else add(rule.headers, header![1]!.toLowerCase(), header![2]!)
  }
  return { rules, warnings }
}

/** A header given twice is sent once with both values, as the hosts do (two CSPs both apply). */
function add (headers: Record<string, string | null>, name: string, value: string): void {
  const had = headers[name]
  headers[name] = had ? `${had}, ${value}` : value
}

/** The rules of the output folder's `_headers` file and of the `headers` option, in the order they apply. */
export async function readHeaderRules (root: string, option: Record<string, Record<string, string>>): Promise<{ rules: HeaderRule[], warnings: string[] }> {
  let text: string | null = null
  try {
    text = await readFile(join(root, HEADERS_FILE), 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'ENOENT' && code !== 'EISDIR') throw BuildError.io(err, join(root, HEADERS_FILE), 'read')
  }
  const parsed = text === null ? { rules: [], warnings: [] } : parseHeadersFile(text)
  for (const [pattern, headers] of Object.entries(option)) {
    parsed.rules.push({ pattern, headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])), replace: true })
  }
  return parsed
}

/** The URL paths (from the folder's root) a file answers at: `about/index.html` is `/about/index.html` and `/about/`. */
function urlsOf (path: string, cleanUrls: boolean): string[] {
  const urls = ['/' + path]
  if (path === 'index.html' || path.endsWith('/index.html')) urls.push('/' + path.slice(0, -'index.html'.length))
  if (cleanUrls && path.endsWith('.html')) urls.push('/' + path.slice(0, -'.html'.length))
  return urls
}

/** `*` matches any run of characters (a splat), `:name` one path segment, as in Netlify and Cloudflare Pages. */
function matcher (pattern: string): RegExp {
  const source = pattern.split(/(\*|:[A-Za-z]\w*)/).map(part =>
    part === '*' ? '.*' : part.startsWith(':') && part.length > 1 ? '[^/]+' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')
  ).join('')
  return new RegExp(`^${source}$`, 's')
}

/** Resolves the rules for each file: its security headers (lower-case names), or undefined when it has none. */
export function headersFor (rules: HeaderRule[], cleanUrls: boolean): (path: string) => Record<string, string> | undefined {
  const compiled = rules.map(rule => ({ re: matcher(rule.pattern), headers: rule.headers, replace: rule.replace }))
  return path => {
    const urls = urlsOf(path, cleanUrls)
    const out: Record<string, string> = {}
    for (const { re, headers, replace } of compiled) {
      if (!urls.some(url => re.test(url))) continue
      for (const [name, value] of Object.entries(headers)) {
        if (!SECURITY.has(name)) continue
        if (value === null || replace) delete out[name]
        if (value !== null) add(out as Record<string, string | null>, name, value)
      }
    }
    return Object.keys(out).length ? out : undefined
  }
}
