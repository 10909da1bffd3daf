// Replaces WebTorrent's lib/server.js (its HTTP and service-worker file servers): only client.createServer() builds
// one, and the downloader never calls it (planktos' own worker answers requests).
class NoServer {
  constructor () { throw new Error('planktos: WebTorrent servers are not bundled') }
}
export const NodeServer = NoServer
export const BrowserServer = NoServer
