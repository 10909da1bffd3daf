// Writes a shard as a BitTorrent v1 .torrent: the info dictionary decides the infohash, the rest only helps clients.
import { createHash } from 'node:crypto'
import bencode from 'bencode'
import { trackersFor } from '../../runtime/shared/trackers.ts'

export interface TorrentInput {
  /** Torrent name; BEP19 web seeds append it to the url-list URL. */
  name: string
  pieceLength: number
  pieces: Uint8Array
  files: Array<{ path: string, size: number }>
  /** The site's trackers; the torrent lists the ones its infohash picks (trackersFor). */
  announce: string[]
  trackersPerShard: number
  /** Web-seed base URL (ending in `/`), present only when the public origin is known. */
  urlList?: string
}

export interface Torrent { infoHash: string, bytes: Uint8Array }

/** Encodes the torrent; identical input gives identical bytes (no creation date, keys sorted by bencode). */
export function encodeTorrent (input: TorrentInput): Torrent {
  const info = {
    files: input.files.map(f => ({ length: f.size, path: f.path.split('/').map(s => Buffer.from(s, 'utf8')) })),
    name: Buffer.from(input.name, 'utf8'),
    'piece length': input.pieceLength,
    pieces: input.pieces
  }
  const infoBytes = bencode.encode(info)
  const infoHash = createHash('sha1').update(infoBytes).digest('hex')
  const torrent: Record<string, unknown> = { info, 'created by': 'planktos-web' }
  const announce = trackersFor(infoHash, input.announce, input.trackersPerShard)
  if (announce.length) {
    torrent.announce = announce[0]
    torrent['announce-list'] = announce.map(url => [url])
  }
  if (input.urlList) torrent['url-list'] = [input.urlList]
  return {
    infoHash,
    bytes: bencode.encode(torrent)
  }
}

/** Torrent name and web-seed URL for a site under `base`: BEP19 asks for `<url-list><name>/<file path>`. */
export function webSeedLayout (base: string, site: string | null): { name: string, urlList?: string } {
  const segments = base.split('/').filter(Boolean)
  // Under the root there is no folder to name, and BEP19 clients (aria2 among them) reject "." as a name.
  if (segments.length === 0) return { name: 'site' }
  const name = segments[segments.length - 1]!
  const parent = '/' + segments.slice(0, -1).map(s => s + '/').join('')
  return site ? { name, urlList: new URL(parent, site).href } : { name }
}
