// The Content-Type a static host sends for a file, by extension: recorded in the manifest, and sent by `planktos serve`,
// so the worker's answers and the origin's agree.
import { lookup } from 'mrmime'

const OWN_TYPES: Record<string, string> = { torrent: 'application/x-bittorrent', ico: 'image/x-icon' }

/** Content-Type for `path`, with `charset=utf-8` on text types (what sirv, send and most static hosts send). */
export function contentType (path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1)
  // mrmime lacks .torrent and .ico; the rest of the web's common types it has (js and mjs as text/javascript, wasm,
  // webmanifest). .ico as nginx and Apache send it.
  const extension = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1).toLowerCase() : ''
  const type = OWN_TYPES[extension] ?? lookup(name) ?? 'application/octet-stream'
  return type.startsWith('text/') ? `${type}; charset=utf-8` : type
}
