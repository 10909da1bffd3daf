// Replaces `chunk-store-iterator` (with block-iterator): WebTorrent reads a file through it only for File#stream(),
// arrayBuffer(), blob() and the like, and writes through it only for Torrent#load(); the downloader calls none of
// them (it reads pieces from the shared store itself, and the worker serves the files).
const never = () => { throw new Error('planktos: file streams are not bundled') }
export const chunkStoreRead = never
export const chunkStoreWrite = never
export default { chunkStoreRead, chunkStoreWrite }
