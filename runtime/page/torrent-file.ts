// A shard's .torrent, rebuilt in the page from its part and its piece hashes. The part holds the rest of the info
// dictionary (the name, the piece length, the files' paths and sizes), so the paths travel once, compressed (hosts send
// .torrent files as they are), and the hashes, which no worker needs, come in a file of their own. WebTorrent hashes
// the dictionary: one that does not give the manifest's infohash is refused there (swarm.ts), as a wrong .torrent was.
import type { ShardPart } from '../shared/manifest.ts'

/** A bencoded string: its length in UTF-8 bytes, then the string (a Blob encodes it as UTF-8, as the builder does). */
const str = (s: string): string => `${new Blob([s]).size}:${s}`

/** The bencoding the builder's encodeTorrent gives `{ info }`: keys in sorted order, every shard in multi-file form. */
export async function torrentFile (part: ShardPart, pieces: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await new Blob([
    'd4:infod5:filesl',
    ...part.files.map(f => `d6:lengthi${f.size}e4:pathl${f.path.split('/').map(str).join('')}ee`),
    `e4:name${str(part.name)}12:piece lengthi${part.pieceLength}e6:pieces${pieces.length}:`,
    pieces as Uint8Array<ArrayBuffer>,
    'ee'
  ]).arrayBuffer())
}
