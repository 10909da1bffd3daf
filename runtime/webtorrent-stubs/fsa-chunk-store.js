// Replaces `fsa-chunk-store` (WebTorrent's default store in browsers with the File System Access API): it is used
// only for a torrent added without a `store`, and the downloader always passes its own (runtime/page/chunk-store.ts).
export default class NoDefaultStore {
  constructor () { throw new Error('planktos: torrents need a store') }
}
