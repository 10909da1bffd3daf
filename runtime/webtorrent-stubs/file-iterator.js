// Replaces WebTorrent's lib/file-iterator.js: File#[Symbol.asyncIterator](), createReadStream() and stream() build
// one, and the downloader calls none of them (see chunk-store-iterator.js).
export default class NoFileIterator {
  constructor () { throw new Error('planktos: file streams are not bundled') }
}
