// Replaces `create-torrent`: only client.seed() creates torrents, and the downloader never seeds from files; it adds
// the origin's .torrent files with client.add().
const never = () => { throw new Error('planktos: creating torrents is not bundled') }
export default never
export const parseInput = never
export const announceList = []
