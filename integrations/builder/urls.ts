// How a reference written in a page or a stylesheet maps to a file of the site, resolved the way a browser resolves it.
// Three forms meet here: a reference as written (`../a%20b.png?v=2`), a host-absolute URL path still
// percent-encoded (`/docs/a%20b.png`), and a site path, decoded and relative to the output folder (`a b.png`).

// Any scheme means another origin or no fetch at all (data:, blob:, mailto:, javascript:); the site's own
// origin is unknown at build time, so an absolute http(s) URL is never taken to be ours.
const SCHEME = /^[a-z][a-z\d+.-]*:/i
// The URL parser strips these at both ends, and drops tabs and newlines anywhere.
const EDGE_JUNK = /^[\u0000-\u0020]+|[\u0000-\u0020]+$/g
const TAB_OR_NEWLINE = /[\t\n\r]/g

/** The path part of a reference, backslashes read as slashes, query and fragment cut; null for another origin or scheme. */
function pathOf (ref: string): string | null {
  const clean = ref.replace(EDGE_JUNK, '').replace(TAB_OR_NEWLINE, '')
  if (SCHEME.test(clean)) return null
  // Browsers read `\` as `/` in http(s) URLs, so `\\host` is protocol-relative too.
  const slashed = clean.replace(/\\/g, '/')
  if (slashed.startsWith('//')) return null
  const end = slashed.search(/[?#]/)
  return end === -1 ? slashed : slashed.slice(0, end)
}

function isSingleDot (segment: string): boolean {
  return segment === '.' || segment.toLowerCase() === '%2e'
}

function isDoubleDot (segment: string): boolean {
  const lower = segment.toLowerCase()
  return lower === '..' || lower === '.%2e' || lower === '%2e.' || lower === '%2e%2e'
}

function decodeSegment (segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

// Only the characters that would change how a decoded name parses as a URL path.
function encodeSegment (segment: string): string {
  return segment.replace(/[%?#\\]/g, c => '%' + c.charCodeAt(0).toString(16).toUpperCase())
}

function baseSegments (base: string): string[] {
  return base.split('/').filter(Boolean).map(decodeSegment)
}

/** The host-absolute URL path a file of the site is served at (`blog/index.html` under `/docs/` -> `/docs/blog/index.html`). */
export function pageUrl (sitePath: string, base: string): string {
  return '/' + [...baseSegments(base), ...sitePath.split('/')].map(encodeSegment).join('/')
}

/** True when a reference points at another origin or scheme, so nothing of the site can be reached through it. */
export function isExternal (ref: string): boolean {
  return pathOf(ref) === null
}

/** Resolves a reference against a document's host-absolute URL path; null for another origin or scheme, or for the document itself. */
export function resolveUrl (ref: string, fromUrl: string): string | null {
  const path = pathOf(ref)
  // An empty path (``, `#top`, `?page=2`) names the document itself, never something it loads.
  if (path === null || path === '') return null
  const out = path.startsWith('/') ? [] : fromUrl.split('/').slice(1, -1)
  const parts = (path.startsWith('/') ? path.slice(1) : path).split('/')
  parts.forEach((part, i) => {
    const last = i === parts.length - 1
    // As in the URL standard: `..` stops at the host root, and a final dot segment leaves a trailing slash.
    if (isDoubleDot(part)) {
      out.pop()
      if (last) out.push('')
    } else if (isSingleDot(part)) {
      if (last) out.push('')
    } else {
      out.push(part)
    }
  })
  return '/' + out.join('/')
}

/** The decoded site path of a host-absolute URL path, or null when it lies outside `base` or could not name a file. */
export function toSitePath (url: string, base: string): string | null {
  const segments = url.split('/').slice(1).map(decodeSegment)
  const prefix = baseSegments(base)
  // `/docs` itself is outside `/docs/`: it is the URL a server redirects, not a file inside the site.
  if (segments.length <= prefix.length) return null
  if (prefix.some((name, i) => segments[i] !== name)) return null
  const names = segments.slice(prefix.length)
  // Decoding can bring back what resolution removed (`%2e%2e%2f` -> `../`); an empty name (`a//b`), a separator
  // or NUL inside one names no file, and the worker's own URL rules refuse the same.
  const bad = (name: string, i: number) => name === '.' || name === '..' || /[/\\\0]/.test(name) || (name === '' && i < names.length - 1)
  return names.some(bad) ? null : names.join('/')
}

/** Resolves a reference found in the file at `fromPath` to a decoded site path (`images/a b.png`), or null when it leaves the site. */
export function resolveSitePath (ref: string, fromPath: string, base: string): string | null {
  const url = resolveUrl(ref, pageUrl(fromPath, base))
  return url === null ? null : toSitePath(url, base)
}

/** True for a site path that names a folder (`''` is the root): a page, never a subresource. */
export function isFolderPath (path: string): boolean {
  return path === '' || path.endsWith('/')
}
