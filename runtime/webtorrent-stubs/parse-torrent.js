// Replaces `parse-torrent`'s remote(), with what only it brings (cross-fetch-ponyfill): lib/torrent.js calls it for a
// torrent id parseTorrent() could not parse, to fetch a URL or read a Blob or a file path. The downloader only adds
// .torrent bytes it built itself (runtime/page/torrent-file.ts), for which the original, after parsing them again,
// fails as this does: 'Invalid torrent identifier', in a microtask. Everything else is parse-torrent's own.
export { default, toMagnetURI, toTorrentFile } from 'parse-torrent'

export function remote (torrentId, opts, cb) {
  if (typeof opts === 'function') return remote(torrentId, {}, opts)
  queueMicrotask(() => cb(new Error('Invalid torrent identifier')))
}
