// Replaces `memory-chunk-store`: WebTorrent keeps a torrent in memory only when it is added without a `store` in a
// browser without the File System Access API, and the downloader always passes its own store. lib/torrent.js also
// asks whether a store is an instance of it before caching it: never, as before.
export default class NoMemoryStore {
  constructor () { throw new Error('planktos: torrents need a store') }
}
