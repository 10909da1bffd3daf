// A shard's .torrent, rebuilt in the page from its part. The part holds all of the info dictionary (the name, the
// piece length, the piece hashes, the files' paths and sizes), so a page fetches one file a shard instead of two, and
// the paths travel once, compressed: hosts send .torrent files as they are. WebTorrent hashes the dictionary, and a
// part that does not give the manifest's infohash is refused there (swarm.ts), as a wrong .torrent file was.
import type { ShardPart } from '../shared/manifest.ts'

const text = new TextEncoder()
/** A bencoded string: its length in UTF-8 bytes, then the string (a Blob encodes it as UTF-8, as the builder does). */
const str = (s: string): string => `${text.encode(s).length}:${s}`

/** The bencoding the builder's encodeTorrent gives `{ info }`: keys in sorted order, every shard in multi-file form. */
export async function torrentFile (part: ShardPart): Promise<Uint8Array> {
  const pieces = Uint8Array.from(atob(part.pieces), c => c.charCodeAt(0))
  return new Uint8Array(await new Blob([
    'd4:infod5:filesl',
    ...part.files.map(f => `d6:lengthi${f.size}e4:pathl${f.path.split('/').map(str).join('')}ee`),
    `e4:name${str(part.name)}12:piece lengthi${part.pieceLength}e6:pieces${pieces.length}:`,
    pieces,
    'ee'
  ]).arrayBuffer())
}
