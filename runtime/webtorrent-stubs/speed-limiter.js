// Replaces `speed-limiter` (and `limiter`): WebTorrent pipes every peer through a download and an upload throttle,
// which let everything through unless client.throttleDownload()/throttleUpload() set a rate; the downloader never
// does, so the throttles are plain pass-through streams.
import { Transform } from 'streamx'

export class ThrottleGroup {
  throttle () { return new Transform() }
  setEnabled () {}
  setRate () {}
  destroy () {}
}
