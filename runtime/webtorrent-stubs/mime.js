// Replaces `mime/lite.js` (~4 KB brotli of type tables): only File#type reads it, and the downloader never asks a
// torrent file for its type (the manifest carries every file's Content-Type).
export default { getType: () => 'application/octet-stream' }
