// What `planktos tracker` lets through to bittorrent-tracker: every WebSocket frame is parsed and its shape checked
// here first, against what WebTorrent's client (bittorrent-tracker/lib/client/websocket-tracker.js) sends. Anything
// else closes the socket that sent it: a well-behaved client never sends it, and bittorrent-tracker v11 crashes on
// several such frames (a scrape whose info_hash is an object, an announce whose offers hold null).

/** Why a frame or a connection was refused; the labels of the `reason` in the metrics. */
export type RejectReason =
  | 'not-allowed' // an announce for an infohash the allow list does not hold (the socket stays open)
  | 'too-large' // a frame over maxPayload
  | 'not-json'
  | 'bad-message' // JSON, but not the shape of a tracker message
  | 'peer-id-changed' // a second peer id on one socket
  | 'peer-id-taken' // a peer id another open socket announced
  | 'connections-per-ip'
  | 'no-announce' // connected, never announced within the timeout
  | 'exception' // bittorrent-tracker threw on a frame that passed the checks

/** The fields the rest of the tracker needs from a checked message; strings are binary (latin1), as on the wire. */
export interface Checked {
  action: 'announce' | 'scrape'
  /** The announcing peer's id; absent for scrapes. */
  peerId?: string
}

export type Verdict = { ok: true, message: Checked } | { ok: false, reason: RejectReason, detail: string }

/** Offers per announce: WebTorrent sends at most 5 (websocket-tracker.js); 10 leaves room for other clients. */
export const MAX_OFFERS = 10
/** Infohashes per scrape: WebTorrent scrapes one at a time. */
export const MAX_SCRAPE = 50
/** Characters of one SDP: a data-channel offer with its ICE candidates is 1 to 4 KB; 16 KiB leaves room for many interfaces. */
export const MAX_SDP = 16 * 1024
const EVENTS = new Set(['started', 'stopped', 'completed', 'update', 'paused', 'empty'])

// Binary strings: bittorrent-tracker turns them into hex with Buffer.from(s, 'binary'), which keeps only the low byte
// of each character, so a character above U+00FF would make a second spelling of another peer's id.
const isId = (value: unknown): value is string => typeof value === 'string' && value.length === 20 && /^[\x00-\xff]*$/.test(value)
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)
const isCount = (value: unknown): boolean => value === undefined || value === null || (typeof value === 'number' && Number.isFinite(value)) ||
  (typeof value === 'string' && value.length <= 20)

function isSdp (value: unknown, type: 'offer' | 'answer'): boolean {
  return isObject(value) && value.type === type && typeof value.sdp === 'string' && value.sdp.length <= MAX_SDP
}

const bad = (detail: string): Verdict => ({ ok: false, reason: 'bad-message', detail })

/** Parses and checks one frame. */
export function checkFrame (data: unknown): Verdict {
  let message: unknown
  try {
    message = JSON.parse(String(data))
  } catch {
    return { ok: false, reason: 'not-json', detail: 'the frame is not JSON' }
  }
  if (!isObject(message)) return bad('the message is not an object')
  if (message.action === 'scrape') return checkScrape(message)
  if (message.action === 'announce') return checkAnnounce(message)
  return bad('the action is neither announce nor scrape')
}

function checkScrape (m: Record<string, unknown>): Verdict {
  const hashes = typeof m.info_hash === 'string' ? [m.info_hash] : m.info_hash
  // Without an info_hash bittorrent-tracker scrapes every swarm it has: a request that costs as much as the tracker holds.
  if (!Array.isArray(hashes) || hashes.length === 0) return bad('a scrape must name its infohashes')
  if (hashes.length > MAX_SCRAPE) return bad(`a scrape names more than ${MAX_SCRAPE} infohashes`)
  if (!hashes.every(isId)) return bad('a scrape infohash is not 20 bytes')
  return { ok: true, message: { action: 'scrape' } }
}

function checkAnnounce (m: Record<string, unknown>): Verdict {
  if (!isId(m.info_hash)) return bad('info_hash is not 20 bytes')
  if (!isId(m.peer_id)) return bad('peer_id is not 20 bytes')
  if (m.event !== undefined && !(typeof m.event === 'string' && EVENTS.has(m.event))) return bad('event is not one of the BitTorrent events')
  if (!isCount(m.uploaded) || !isCount(m.downloaded) || !isCount(m.left) || !isCount(m.numwant)) return bad('a count is not a number')
  if (m.offers !== undefined) {
    if (!Array.isArray(m.offers) || m.offers.length > MAX_OFFERS) return bad(`offers is not a list of at most ${MAX_OFFERS}`)
    for (const offer of m.offers) {
      if (!isObject(offer) || !isId(offer.offer_id) || !isSdp(offer.offer, 'offer')) return bad('an offer is not { offer: { type: "offer", sdp }, offer_id }')
    }
  }
  if (m.answer !== undefined) {
    if (!isSdp(m.answer, 'answer') || !isId(m.offer_id) || !isId(m.to_peer_id)) return bad('an answer is not { answer: { type: "answer", sdp }, offer_id, to_peer_id }')
    if (m.offers !== undefined) return bad('one message carries both offers and an answer')
  }
  return { ok: true, message: { action: 'announce', peerId: m.peer_id } }
}
