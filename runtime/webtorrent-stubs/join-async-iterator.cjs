// Replaces `join-async-iterator`: only Torrent#load() uses it, which the downloader never calls. CommonJS as the
// module it replaces.
module.exports = () => { throw new Error('planktos: Torrent#load is not bundled') }
