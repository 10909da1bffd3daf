// A hostile WebSocket tracker client, run as its own process against a tracker on loopback:
// `node test/helpers/hostile.ts <attack> <ws-url> [args...]`. Each attack is bounded in count and time; it prints one
// JSON line per step ({ step, ... }) and exits. The attacks are the ones measured against bittorrent-tracker v11:
//   frame <json>                 sends one frame; reports whether the socket was closed (code) or answered
//   big <bytes>                  sends one announce of about <bytes> (an oversized SDP)
//   silent <count>               opens <count> connections that never send anything; reports how many were closed
//   crowd <count> <infohash>     opens <count> connections, each announcing; reports answers and closes
//   sybil <infohash> <ids>       one connection announcing <ids> different peer ids
//   hijack <infohash> [alias]    joins a swarm, learns a victim's peer id from its relayed offer, then speaks for the
//                                victim from a second connection (stopped, then started) and waits for its answers;
//                                with "alias", spells the id with characters above U+00FF whose low bytes are the id's
//   peer-id <text> <infohash>    announces with a peer id of the given 20 characters
//   mute <infohash> <peer-id>    announces, then answers no ping, as a peer whose network vanished
import { randomBytes } from 'node:crypto'
import WebSocket from 'ws'

const [attack, url, ...args] = process.argv.slice(2)
if (!attack || !url) throw new Error('usage: hostile.ts <attack> <ws-url> [args...]')
/** Every wait of this process ends by then: the attacks are bounded in time whatever the tracker does. */
const LIMIT = 10_000
setTimeout(() => { print({ step: 'timeout' }); process.exit(3) }, LIMIT * 2).unref()

type Message = Record<string, unknown>
const print = (line: Message): void => { process.stdout.write(JSON.stringify(line) + '\n') }
const binary = (bytes: Buffer): string => bytes.toString('latin1')
const id = (): string => binary(randomBytes(20))
const infoHashOf = (hex: string): string => binary(Buffer.from(hex, 'hex'))
const SDP = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n'

interface Conn { socket: WebSocket, messages: Message[], closed: Promise<number>, next(): Promise<Message | null> }

async function open (autoPong = true): Promise<Conn> {
  const socket = new WebSocket(url!, { autoPong })
  const messages: Message[] = []
  const waiters: Array<(m: Message | null) => void> = []
  let code: number | null = null
  const closed = new Promise<number>(resolve => socket.once('close', c => {
    code = c
    resolve(c)
    for (const w of waiters.splice(0)) w(null)
  }))
  socket.on('error', () => {})
  socket.on('message', data => {
    const m = JSON.parse(String(data)) as Message
    const w = waiters.shift()
    if (w) w(m)
    else messages.push(m)
  })
  await new Promise((resolve, reject) => { socket.once('open', resolve); socket.once('close', reject) })
  return {
    socket,
    messages,
    closed,
    /** The next message, or null once the socket is closed or after LIMIT. */
    next: () => messages.length ? Promise.resolve(messages.shift()!) : code !== null ? Promise.resolve(null)
      : new Promise(resolve => {
        const timer = setTimeout(() => resolve(null), LIMIT)
        waiters.push(m => { clearTimeout(timer); resolve(m) })
      })
  }
}

const announce = (infoHash: string, peerId: string, extra: Message = {}): string => JSON.stringify({
  action: 'announce', info_hash: infoHash, peer_id: peerId, event: 'started', uploaded: 0, downloaded: 0, left: 1000, numwant: 0, ...extra
})

/** Resolves with the close code, or null if the socket is still open after LIMIT. */
const closedWithin = (conn: Conn): Promise<number | null> => Promise.race([conn.closed, new Promise<null>(resolve => setTimeout(() => resolve(null), LIMIT).unref())])

switch (attack) {
  case 'frame': {
    const conn = await open()
    conn.socket.send(args[0]!)
    const reply = await conn.next()
    print({ step: 'done', reply, closed: reply ? null : await closedWithin(conn) })
    break
  }
  case 'big': {
    const conn = await open()
    const sdp = 'a'.repeat(Number(args[0]))
    conn.socket.send(announce(id(), id(), { numwant: 1, offers: [{ offer: { type: 'offer', sdp }, offer_id: id() }] }))
    const reply = await conn.next()
    print({ step: 'done', replied: reply !== null, closed: reply ? null : await closedWithin(conn) })
    break
  }
  case 'silent': {
    const conns = await Promise.all(Array.from({ length: Number(args[0]) }, open))
    print({ step: 'opened', count: conns.length })
    const codes = await Promise.all(conns.map(closedWithin))
    print({ step: 'done', closed: codes.filter(c => c !== null).length, codes: [...new Set(codes)] })
    break
  }
  case 'crowd': {
    const infoHash = infoHashOf(args[1]!)
    const conns: Conn[] = []
    for (let i = 0; i < Number(args[0]); i++) conns.push(await open())
    const replies = await Promise.all(conns.map(async conn => {
      if (conn.socket.readyState === WebSocket.OPEN) conn.socket.send(announce(infoHash, id()))
      return await conn.next()
    }))
    const answered = replies.filter(r => r !== null && r['failure reason'] === undefined).length
    const codes = await Promise.all(conns.map((conn, i) => replies[i] ? null : closedWithin(conn)))
    print({ step: 'done', answered, closed: codes.filter(c => c !== null).length, codes: [...new Set(codes.filter(c => c !== null))] })
    for (const conn of conns) conn.socket.terminate()
    break
  }
  case 'sybil': {
    const infoHash = infoHashOf(args[0]!)
    const conn = await open()
    const ids = Number(args[1])
    for (let i = 0; i < ids; i++) conn.socket.send(announce(infoHash, id()))
    let accepted = 0
    for (let reply = await conn.next(); reply; reply = accepted < ids ? await conn.next() : null) {
      if (reply['failure reason'] === undefined) accepted++
    }
    print({ step: 'done', accepted, closed: await closedWithin(conn) })
    // Stays connected (if the tracker lets it) until the test has seen what a newcomer gets.
    await new Promise(resolve => process.stdin.once('end', resolve).resume())
    break
  }
  case 'hijack': {
    const infoHash = infoHashOf(args[0]!)
    const first = await open()
    first.socket.send(announce(infoHash, id()))
    await first.next()
    print({ step: 'ready' })
    let offer = await first.next()
    while (offer && !offer.offer) offer = await first.next()
    if (!offer) { print({ step: 'no-offer' }); break }
    const learned = offer.peer_id as string
    const victim = args[1] === 'alias' ? [...learned].map(c => String.fromCharCode(c.charCodeAt(0) + 0x100)).join('') : learned
    const second = await open()
    second.socket.send(announce(infoHash, victim, { event: 'stopped' }))
    second.socket.send(announce(infoHash, victim))
    const reply = await second.next()
    print({ step: 'attacked', replied: reply !== null, closed: reply ? null : await closedWithin(second) })
    // Whatever reaches the second connection now was meant for the victim.
    const stolen = await second.next()
    print({ step: 'done', answer: stolen?.answer ?? null })
    break
  }
  case 'peer-id': {
    const conn = await open()
    conn.socket.send(announce(infoHashOf(args[1]!), binary(Buffer.from(args[0]!, 'latin1'))))
    print({ step: 'announced', reply: await conn.next() })
    await new Promise(resolve => process.stdin.once('end', resolve).resume())
    break
  }
  case 'mute': {
    const conn = await open(false)
    conn.socket.send(announce(infoHashOf(args[0]!), infoHashOf(args[1]!)))
    const reply = await conn.next()
    print({ step: 'announced', accepted: reply?.['failure reason'] === undefined })
    print({ step: 'done', closed: await closedWithin(conn) })
    break
  }
  default:
    throw new Error(`unknown attack ${attack}`)
}
process.exit(0)
