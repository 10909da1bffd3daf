// Which requests are site files: request URL -> path relative to base, or null for "not ours, use the network".
// Runs in the worker and the page; pure, so its rules are tested in Node.
import { PLANKTOS_DIR, WORKER_FILE } from './manifest.ts'

export interface UrlRules {
  /** The site's origin, such as `https://example.com`. */
  origin: string
  /** URL path the site is served under, with a leading and trailing slash. */
  base: string
  /** Query parameters that do not change which file is meant; a trailing `*` matches a prefix. */
  ignoreSearchParams: readonly string[]
  /** File a URL ending in `/` means, such as `index.html`. */
  directoryIndex: string
}

/** The site path a GET of `url` asks for, or null when the request must go to the network untouched. */
export function sitePath (url: string | URL, method: string, rules: UrlRules): string | null {
  if (method !== 'GET') return null
  let u: URL
  try { u = new URL(url) } catch { return null }
  if (u.origin !== rules.origin || !u.pathname.startsWith(rules.base)) return null
  // Any query string we were not told to ignore may select different content (a search page, an API): not ours.
  for (const name of new URLSearchParams(u.search).keys()) {
    if (!ignored(name, rules.ignoreSearchParams)) return null
  }
  const segments = u.pathname.slice(rules.base.length).split('/')
  const decoded: string[] = []
  for (let i = 0; i < segments.length; i++) {
    const raw = segments[i]!
    // A trailing empty segment is a directory URL; an empty one elsewhere (`a//b`) names no file.
    if (raw === '' && i === segments.length - 1) break
    const segment = decodeSegment(raw)
    if (segment === null) return null
    decoded.push(segment)
  }
  const last = segments[segments.length - 1]
  if (last === '') decoded.push(...rules.directoryIndex.split('/'))
  const path = decoded.join('/')
  // planktos' own files are fetched fresh from the origin, never through the site's file path.
  if (path.startsWith(PLANKTOS_DIR) || path === WORKER_FILE) return null
  return path
}

function ignored (name: string, patterns: readonly string[]): boolean {
  return patterns.some(p => p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p)
}

/** One percent-decoded path segment, or null when it is malformed or could climb out of the site. */
function decodeSegment (raw: string): string | null {
  let segment: string
  try { segment = decodeURIComponent(raw) } catch { return null }
  if (segment === '' || segment === '.' || segment === '..') return null
  if (/[/\\\0]/.test(segment)) return null
  // A second round of decoding must not produce a separator or a dot segment: some servers decode twice.
  if (/%(2e|2f|5c|00)/i.test(segment)) return null
  return segment
}

/**
 * Whether `path` (as a manifest lists it: relative to base, decoded) names a file inside the site: no empty,
 * `.` or `..` segment, no backslash (a separator for browsers and Windows) and no NUL. The manifest comes from the
 * origin, but a path that could climb out of the base is refused anyway: nothing else bounds where it leads.
 */
export function isSitePath (path: string): boolean {
  return typeof path === 'string' && path.split('/').every(s => s !== '' && s !== '.' && s !== '..' && !/[\\\0]/.test(s))
}

/** The URL path the origin serves `path` (relative to base) at: each segment percent-encoded. Throws for a path
 * that could leave the base (encoding cannot help: the URL parser reads `%2e%2e` as `..`). */
export function fileUrl (base: string, path: string): string {
  if (!isSitePath(path)) throw new Error(`planktos: refusing a path that leaves the site: ${JSON.stringify(path)}`)
  return base + path.split('/').map(encodeURIComponent).join('/')
}

/** Set by the downloader on its own origin requests (web seed): the worker lets them through, so they cannot loop. */
export const BYPASS_HEADER = 'X-Planktos-Bypass'
