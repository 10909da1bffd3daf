// Replaces Node's `path` (WebTorrent's browser build bundles a whole port of it): parse-torrent joins each file's
// path segments with path.join, WebTorrent joins a download folder it never writes to. Both only need POSIX join;
// test/webtorrent-stubs.test.ts holds this join to node:path's on the paths a torrent can hold.
export const sep = '/'

/** POSIX path.join: joins with '/', drops empty and '.' segments, resolves '..' where it can. */
export function join (...parts) {
  const joined = parts.filter(p => p !== '').join('/')
  if (joined === '') return '.'
  const absolute = joined.startsWith('/')
  const out = []
  for (const segment of joined.split('/')) {
    if (segment === '' || segment === '.') continue
    if (segment === '..' && out.length > 0 && out[out.length - 1] !== '..') out.pop()
    else if (segment !== '..' || !absolute) out.push(segment)
  }
  const path = (absolute ? '/' : '') + out.join('/')
  const trailing = joined.endsWith('/') && out.length > 0 ? '/' : ''
  return (path || (absolute ? '/' : '.')) + trailing
}

/** POSIX path.dirname (only client.seed() calls it). */
export function dirname (path) {
  const trimmed = path.replace(/\/+$/, '')
  if (trimmed === '') return path === '' ? '.' : '/'
  const cut = trimmed.lastIndexOf('/')
  return cut > 0 ? trimmed.slice(0, cut) : cut === 0 ? '/' : '.'
}

export default { sep, join, dirname }
