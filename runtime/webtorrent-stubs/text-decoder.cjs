// Replaces `text-decoder` (and `b4a`, which only it pulls in): streamx decodes text only for a readable stream
// given an `encoding` or setEncoding(), and no stream between WebTorrent, bittorrent-protocol and simple-peer is
// (they all carry bytes). CommonJS because streamx require()s it.
module.exports = class NoTextDecoder {
  constructor () { throw new Error('planktos: text streams are not bundled') }
}
