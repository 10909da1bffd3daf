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
  /** Tried when a URL names no file of the site: `.html` serves `/about` from `about.html`. Absent or null: none. */
  extension?: string | null
}

/** One way the site can answer a URL: with the file at `path`, or, when `redirect` is set, by redirecting there. */
export interface Route {
  path: string
  /** The URL to redirect to (the request's with a trailing slash) when this route's file exists. */
  redirect?: string
}

interface Parsed { url: URL, segments: string[], directory: boolean }

/** The URL's decoded path segments below the base, or null when the request must go to the network untouched. */
function parse (url: string | URL, method: string, rules: UrlRules): Parsed | null {
  if (method !== 'GET') return null
  let u: URL
  try { u = new URL(url) } catch { return null }
  if (u.origin !== rules.origin || !u.pathname.startsWith(rules.base)) return null
  // Any query string we were not told to ignore may select different content (a search page, an API): not ours.
  for (const name of new URLSearchParams(u.search).keys()) {
    if (!ignored(name, rules.ignoreSearchParams)) return null
  }
  const raw = u.pathname.slice(rules.base.length).split('/')
  // A trailing empty segment is a directory URL; an empty one elsewhere (`a//b`) names no file.
  const directory = raw[raw.length - 1] === ''
  if (directory) raw.pop()
  const segments: string[] = []
  for (const r of raw) {
    const segment = decodeSegment(r)
    if (segment === null) return null
    segments.push(segment)
  }
  return { url: u, segments, directory }
}

/** planktos' own files are fetched fresh from the origin, never through the site's file path. */
function isSiteFile (path: string): boolean {
  return !path.startsWith(PLANKTOS_DIR) && path !== WORKER_FILE
}

/** The site path a GET of `url` asks for, or null when the request must go to the network untouched. */
export function sitePath (url: string | URL, method: string, rules: UrlRules): string | null {
  return siteRoutes(url, method, rules)?.[0]?.path ?? null
}

/**
 * The ways the site may answer a GET of `url`, best first: the first route whose file the manifest lists wins.
 * Null when the request must go to the network untouched. As static hosts do, `/about` is the file `about`, else
 * `about.html` when the site asks for an extension, else a redirect to `/about/` when `about/index.html` exists.
 */
export function siteRoutes (url: string | URL, method: string, rules: UrlRules): Route[] | null {
  const parsed = parse(url, method, rules)
  if (!parsed) return null
  const { url: u, segments, directory } = parsed
  const index = rules.directoryIndex.split('/')
  if (directory) {
    const path = [...segments, ...index].join('/')
    return isSiteFile(path) ? [{ path }] : null
  }
  const path = segments.join('/')
  if (!isSiteFile(path)) return null
  const routes: Route[] = [{ path }]
  const ext = rules.extension
  if (ext && !path.endsWith(ext) && isSiteFile(path + ext)) routes.push({ path: path + ext })
  // A folder's index asked for without its slash: relative links in it only resolve from the URL with the slash,
  // so the page is never served here; the redirect is what static hosts answer, and it works offline too.
  const folderIndex = [...segments, ...index].join('/')
  if (isSiteFile(folderIndex)) routes.push({ path: folderIndex, redirect: `${u.origin}${u.pathname}/${u.search}` })
  return routes
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
