// A burst of WebSocket announces as WebTorrent clients send them (with offers), run as its own process so the
// tracker under test is measured alone: `node test/helpers/announcer.ts <ws-url> <connections> <per-connection>
// [infohash]`. Without an infohash every announce names a new random one. Prints one JSON line when done:
// { announces, refused, accepted, ms }.
import { randomBytes } from 'node:crypto'
import WebSocket from 'ws'

const [url, connections = '20', perConnection = '1000', fixed] = process.argv.slice(2)
if (!url) throw new Error('usage: announcer.ts <ws-url> <connections> <per-connection> [infohash]')
/** Announces in flight per connection: enough to keep the tracker busy, bounded so the burst is too. */
const WINDOW = 32
const binary = (bytes: Buffer): string => bytes.toString('latin1')
// An SDP offer of a typical size (WebTorrent sends numwant of them per announce).
const SDP = 'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n' + 'a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host\r\n'.repeat(4)

async function run (): Promise<{ refused: number, accepted: number }> {
  const socket = new WebSocket(url!)
  await new Promise((resolve, reject) => { socket.once('open', resolve); socket.once('error', reject) })
  const peerId = binary(randomBytes(20))
  const total = Number(perConnection)
  let sent = 0
  let refused = 0
  let accepted = 0
  const send = (): void => {
    sent++
    socket.send(JSON.stringify({
      action: 'announce',
      info_hash: binary(fixed ? Buffer.from(fixed, 'hex') : randomBytes(20)),
      peer_id: peerId,
      event: 'started',
      uploaded: 0,
      downloaded: 0,
      left: 1000,
      numwant: 5,
      offers: Array.from({ length: 5 }, () => ({ offer: { type: 'offer', sdp: SDP }, offer_id: binary(randomBytes(20)) }))
    }))
  }
  await new Promise<void>((resolve, reject) => {
    socket.on('message', data => {
      const m = JSON.parse(String(data)) as Record<string, unknown>
      if (m.action !== 'announce' || m.offer) return
      if (m['failure reason'] !== undefined) refused++
      else accepted++
      if (refused + accepted === total) resolve()
      else if (sent < total) send()
    })
    socket.once('error', reject)
    socket.once('close', () => reject(new Error('the tracker closed the connection')))
    for (let i = 0; i < Math.min(WINDOW, total); i++) send()
  })
  socket.removeAllListeners('close')
  socket.close()
  return { refused, accepted }
}

const started = performance.now()
const results = await Promise.all(Array.from({ length: Number(connections) }, run))
const ms = performance.now() - started
const refused = results.reduce((n, r) => n + r.refused, 0)
const accepted = results.reduce((n, r) => n + r.accepted, 0)
console.log(JSON.stringify({ announces: refused + accepted, refused, accepted, ms: Math.round(ms) }))
