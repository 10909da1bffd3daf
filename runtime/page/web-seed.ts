// The origin as a seeder (runs in the page). WebTorrent's own web seed asks past a file's end at file
// boundaries, bypasses the HTTP cache and appends unencoded torrent paths; this one asks for each file's part
// of a piece (whole pieces, never 16 KiB blocks) at the file's normal URL, through the HTTP cache, and marks
// the request so the worker lets it through instead of looping back to the peers.
import type { Torrent } from 'webtorrent/dist/webtorrent.min.js'
import { spans } from '../shared/layout.ts'
import type { ShardPart } from '../shared/manifest.ts'
import type { DownloaderStats } from '../shared/messages.ts'
import type { Store } from '../shared/store.ts'
import { BYPASS_HEADER, fileUrl } from '../shared/urls.ts'

const REQUEST_TIMEOUT = 60_000

/** Adds the origin as a web seed of `torrent` (call once its metadata is ready). */
export function addOriginSeed (torrent: Torrent, part: ShardPart, base: string, store: Store, stats: DownloaderStats): void {
  const id = new URL(base, location.href).href
  torrent.addWebSeed(id)
  const conn = torrent._peers.get(id)?.conn
  if (!conn) return
  // WebTorrent's web-seed connection calls `httpRequest` for each piece it is asked for; replace that one step.
  conn.httpRequest = (index, offset, length, cb) => {
    // The origin is the seeder of last resort: decline pieces a connected peer has. WebTorrent then treats
    // the web seed as lacking that piece for a while, and the peers supply it.
    if (torrent.wires.some(w => w.type !== 'webSeed' && w.peerPieces.get(index))) return cb(new Error(`a peer has piece ${index}`))
    const start = index * torrent.pieceLength + offset
    fetchRange(part, base, start, start + length, store, stats).then(bytes => cb(null, bytes), (err: Error) => cb(err))
  }
}

/**
 * Torrent bytes [start, end): what the store holds already (a piece often straddles a file the visitor has),
 * the rest from the origin with one Range request per file, in parallel.
 */
export async function fetchRange (part: ShardPart, base: string, start: number, end: number, store: Store, stats: Pick<DownloaderStats, 'fromOrigin'>): Promise<Uint8Array> {
  const out = new Uint8Array(end - start)
  await Promise.all(spans(part.files, start, end).map(async (span) => {
    const file = part.files[span.file]!
    const held = await store.read(file.sha256, span.start, span.end).catch(() => undefined)
    if (held) return out.set(held, span.at)
    const res = await fetch(fileUrl(base, file.path), {
      headers: { Range: `bytes=${span.start}-${span.end - 1}`, [BYPASS_HEADER]: '1' },
      credentials: 'same-origin',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT)
    })
    let bytes = new Uint8Array(await res.arrayBuffer())
    stats.fromOrigin += bytes.length
    // A server that ignores Range sends the whole file: still usable.
    if (res.status === 200 && bytes.length === file.size) bytes = bytes.subarray(span.start, span.end)
    else if (res.status !== 206 || bytes.length !== span.end - span.start) throw new Error(`${file.path}: HTTP ${res.status} for bytes ${span.start}-${span.end - 1}`)
    out.set(bytes, span.at)
  }))
  return out
}
