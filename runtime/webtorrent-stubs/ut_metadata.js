// Replaces `ut_metadata` (BEP 9, fetching a torrent's info dictionary from peers): every torrent the downloader adds
// is a whole .torrent from the origin, so WebTorrent sets its metadata before it starts discovery, hence before any
// peer's wire. It still installs the extension on every wire and listens for warnings on it, so this is an
// extension that says and does nothing; fetch() and setMetadata() are there for a wire that would come earlier
// (where the real one could only ask peers that have nothing better than the origin's .torrent).
import { EventEmitter } from 'events'

export default () => {
  class NoMetadata extends EventEmitter {
    fetch () {}
    cancel () {}
    setMetadata () { return true }
  }
  NoMetadata.prototype.name = 'ut_metadata'
  return NoMetadata
}
