// Replaces `ut_metadata` (BEP 9, fetching a torrent's info dictionary from peers): every torrent the downloader adds
// is a whole .torrent from the origin, so WebTorrent has the metadata before its first wire and never calls fetch().
// It still installs the extension on every wire and listens for warnings on it, so this is an extension that
// says and does nothing.
import { EventEmitter } from 'events'

export default () => {
  class NoMetadata extends EventEmitter {}
  NoMetadata.prototype.name = 'ut_metadata'
  return NoMetadata
}
