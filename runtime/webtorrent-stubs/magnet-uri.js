// Replaces `magnet-uri` (with thirty-two and bep53-range): parse-torrent decodes magnet links only when given a
// string, and the downloader only adds .torrent bytes. WebTorrent still sets torrent.magnetURI from every torrent
// it adds, which nothing in planktos reads, so encoding gives an empty string.
const never = () => { throw new Error('planktos: magnet links are not bundled') }
export default never
export const decode = never
export const encode = () => ''
