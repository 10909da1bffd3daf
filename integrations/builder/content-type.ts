// The Content-Type a static host sends for a file, by extension: recorded in the manifest, and sent by `planktos serve`,
// so the worker's answers and the origin's agree.
import { lookup } from 'mrmime'

/** Content-Type for `path`, with `charset=utf-8` on text types (what sirv, send and most static hosts send). */
export function contentType (path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1)
  // mrmime lacks .torrent; the rest of the web's common types it has (js and mjs as text/javascript, wasm, webmanifest).
  const type = name.toLowerCase().endsWith('.torrent') ? 'application/x-bittorrent' : lookup(name) ?? 'application/octet-stream'
  return type.startsWith('text/') ? `${type}; charset=utf-8` : type
}
