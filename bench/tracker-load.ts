// The client side of the tracker scale bench, run as its own process: `node bench/tracker-load.ts <json>` where json is
// { mode: 'rate' | 'hold', targets: [{ url, infoHashes, connections, perConnection }] }. Every connection has its own
// peer id (a tracker binds one id to one socket, as WebTorrent uses it) and cycles through its target's infohashes.
//   rate: opens every connection, prints { step: 'connected' }, waits for a "go" line, sends perConnection
//         WebTorrent-style announces (5 offers each, 32 in flight) on each, prints { step: 'done', announces, ms }.
//   hold: opens the connections, each announcing once, prints { step: 'held', connections }, keeps them until stdin ends.
import { randomBytes } from 'node:crypto'
import { createInterface } from 'node:readline'
import WebSocket from 'ws'

interface Target { url: string, infoHashes: string[], connections: number, perConnection: number }
const { mode, targets } = JSON.parse(process.argv[2]!) as { mode: 'rate' | 'hold', targets: Target[] }
const WINDOW = 32
/** Connections opened at once: more would only queue in the kernel's backlog. */
const BATCH = 200
const binary = (bytes: Buffer): string => bytes.toString('latin1')
const SDP = 'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n' + 'a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host\r\n'.repeat(4)
const print = (line: object): void => { process.stdout.write(JSON.stringify(line) + '\n') }
const lines = createInterface({ input: process.stdin })

interface Conn { socket: WebSocket, peerId: string, target: Target, sent: number }

function open (target: Target): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(target.url, { perMessageDeflate: false })
    socket.once('open', () => resolve({ socket, peerId: binary(randomBytes(20)), target, sent: 0 }))
    socket.once('error', reject)
  })
}

function send (c: Conn, offers: number): void {
  const infoHash = c.target.infoHashes[c.sent++ % c.target.infoHashes.length]!
  c.socket.send(JSON.stringify({
    action: 'announce',
    info_hash: binary(Buffer.from(infoHash, 'hex')),
    peer_id: c.peerId,
    event: 'started',
    uploaded: 0,
    downloaded: 0,
    left: 1000,
    numwant: offers,
    offers: Array.from({ length: offers }, () => ({ offer: { type: 'offer', sdp: SDP }, offer_id: binary(randomBytes(20)) }))
  }))
}

/** Resolves once `total` announce replies (not relayed offers) came back on `c`, keeping WINDOW in flight. */
function announceAll (c: Conn, total: number, offers: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let answered = 0
    c.socket.on('message', data => {
      const m = JSON.parse(String(data)) as Record<string, unknown>
      if (m.action !== 'announce' || m.offer || m.answer) return
      if (m['failure reason'] !== undefined) return reject(new Error(String(m['failure reason'])))
      if (++answered === total) resolve()
      else if (c.sent < total) send(c, offers)
    })
    c.socket.once('close', () => reject(new Error('the tracker closed a connection')))
    for (let i = 0; i < Math.min(WINDOW, total); i++) send(c, offers)
  })
}

const conns: Conn[] = []
for (const target of targets) {
  for (let opened = 0; opened < target.connections; opened += BATCH) {
    const batch = await Promise.all(Array.from({ length: Math.min(BATCH, target.connections - opened) }, () => open(target)))
    if (mode === 'hold') await Promise.all(batch.map(c => announceAll(c, 1, 0)))
    conns.push(...batch)
  }
}

if (mode === 'hold') {
  print({ step: 'held', connections: conns.length })
  lines.on('close', () => process.exit(0))
} else {
  print({ step: 'connected', connections: conns.length })
  await new Promise(resolve => lines.once('line', resolve))
  const started = performance.now()
  await Promise.all(conns.map(c => announceAll(c, c.target.perConnection, 5)))
  print({ step: 'done', announces: conns.reduce((n, c) => n + c.target.perConnection, 0), ms: Math.round(performance.now() - started) })
  process.exit(0)
}
