// The Content-Type a static host sends for a file, by extension: recorded in the manifest, and sent by `planktos serve`.
import { lookup } from 'mrmime'

const TEXT = /^(text\/|application\/(javascript|json|xml|manifest\+json|ld\+json)|image\/svg\+xml)/

/** Content-Type for `path`, with `charset=utf-8` on text types (what sirv and most static hosts send). */
export function contentType (path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1)
  if (name.endsWith('.torrent')) return 'application/x-bittorrent'
  const type = lookup(name) ?? 'application/octet-stream'
  return TEXT.test(type) ? `${type}; charset=utf-8` : type
}
