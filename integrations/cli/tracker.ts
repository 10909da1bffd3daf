// `planktos tracker`: bittorrent-tracker's WebSocket server behind a guard, optionally limited to the infohashes of
// built sites. Node only. Every frame is checked before bittorrent-tracker sees it (tracker-guard.ts), a socket keeps
// the one peer id it first announced, and connections are capped per address and must announce soon after opening.
// The allow list is re-read on a timer, so a deploy needs no restart (tracker-allow.ts).
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { loadAllowList } from './tracker-allow.ts'
import { checkFrame, type RejectReason } from './tracker-guard.ts'
import { countReject, newCounters, prometheusText, statsHtml } from './tracker-metrics.ts'
import { createServer, remoteAddress, type TrackerSocket } from './tracker-server.ts'

export interface TrackerOptions {
  /** 0 picks a free port. */
  port?: number
  host?: string
  /** Root manifests (`planktos/manifest.json`) as file paths or http(s) URLs; empty or absent tracks every infohash. */
  allow?: string[]
  /** Milliseconds between re-reads of the allow list. */
  reloadInterval?: number
  /** Milliseconds an infohash stays allowed after it left every manifest. */
  grace?: number
  /** Largest WebSocket frame in bytes; a real announce (5 offers with their SDP) is under 20 KiB. */
  maxPayload?: number
  /** Milliseconds a connection may stay open without announcing. */
  announceTimeout?: number
  /** Open connections from one address; visitors behind one NAT share it, and a reverse proxy makes it one address. */
  connectionsPerIp?: number
  /** Milliseconds between pings; a connection that has not answered the previous ping is dropped. */
  heartbeat?: number
  /** Problems that do not stop the tracker, such as a manifest that could not be re-read. */
  onWarning?: (message: string) => void
}

export interface TrackerHandle {
  /** The announce URL, such as `ws://127.0.0.1:8000`. */
  url: string
  /** The statistics page; `/stats.json` beside it gives JSON. */
  statsUrl: string
  /** The counters in the Prometheus text format. */
  metricsUrl: string
  port: number
  /** The infohashes (hex) announces are accepted for, or null when every infohash is. */
  allowed(): Set<string> | null
  /** Accepted announces per infohash (hex), for infohashes that still have a swarm. */
  announces(): Map<string, number>
  /** Announces refused because their infohash is not allowed. */
  refused(): number
  /** Frames and connections refused since the start, by reason (announces for infohashes not allowed included). */
  rejects(): Map<RejectReason, number>
  /** Re-reads the allow list now; a manifest that cannot be read keeps its last list and is reported to onWarning. */
  reload(): Promise<void>
  close(): Promise<void>
}

const KiB = 1024
const defaults = { port: 0, host: '127.0.0.1', reloadInterval: 60_000, grace: 24 * 60 * 60 * 1000, maxPayload: 64 * KiB, announceTimeout: 15_000, connectionsPerIp: 64, heartbeat: 30_000 }

/** WebSocket close codes: 1008 policy violation (ws itself closes frames over maxPayload with 1009). */
const POLICY = 1008

/** Per-connection state of the guard. */
interface Connection { ip: string, peerId?: string, timer?: NodeJS.Timeout, refused: boolean, alive: boolean }

/** Starts a WebSocket tracker; with `allow`, it refuses announces for infohashes the sites' manifests do not list. */
export async function startTracker (options: TrackerOptions = {}): Promise<TrackerHandle> {
  const { port, host, reloadInterval, grace, maxPayload, announceTimeout, connectionsPerIp, heartbeat: pingEvery } = checkOptions({ ...defaults, ...withoutUndefined(options) })
  const warn = options.onWarning ?? (() => {})
  const allow = options.allow?.length ? await loadAllowList(options.allow, grace) : null

  const counts = new Map<string, number>()
  const counters = newCounters()
  const connections = new WeakMap<TrackerSocket, Connection>()
  /** Which open socket announced each peer id (binary): another socket cannot speak for it. */
  const owners = new Map<string, TrackerSocket>()
  const perIp = new Map<string, number>()
  const open = new Set<TrackerSocket>()
  // A peer whose network vanished leaves a half-open connection that would hold its peer id (and refuse the same
  // visitor reconnecting) until TCP gives up: pings find it within two heartbeats.
  const heartbeat = setInterval(() => {
    for (const socket of open) {
      const connection = connections.get(socket)!
      if (!connection.alive) socket.terminate()
      else {
        connection.alive = false
        socket.ping()
      }
    }
  }, pingEvery)
  heartbeat.unref()

  const refuse = (socket: TrackerSocket, reason: RejectReason, detail: string): void => {
    const connection = connections.get(socket)
    if (!connection || connection.refused) return
    connection.refused = true
    countReject(counters, reason)
    if (reason !== 'connections-per-ip' && reason !== 'no-announce') counters.framesRefused++
    socket.close(POLICY, detail.slice(0, 120)) // a close reason is at most 123 bytes
  }

  const { server, deliver } = await createServer({
    ws: { maxPayload },
    filter: (infoHash, _params, callback) => {
      // Refusing here comes before the Server creates a swarm, so unknown infohashes cost no memory.
      if (allow && !allow.allows(infoHash)) {
        countReject(counters, 'not-allowed')
        return callback(new Error(`This tracker only tracks the torrents of its own sites; infohash ${infoHash} is not one of them.`))
      }
      counters.announces++
      counts.set(infoHash, (counts.get(infoHash) ?? 0) + 1)
      callback(null)
    },
    onException: (socket, err) => {
      warn(`planktos tracker: bittorrent-tracker failed on a message from ${connections.get(socket)?.ip ?? 'a closed connection'} (${(err as Error).message}); that connection was closed.`)
      refuse(socket, 'exception', 'the tracker could not handle that message')
    }
  })

  // Runs after the Server's own connection listener, which has set up the socket (onMessageBound and friends).
  server.ws.on('connection', (socket: TrackerSocket, req: IncomingMessage) => {
    // Every message the Server fails to send to a peer that just left adds one more no-op error listener to its socket
    // (server.js, _onWebSocketClose): harmless, as the socket goes with its listeners, but past ten Node prints a
    // MaxListenersExceededWarning into the tracker's output whenever peers drop while offers are relayed to them.
    socket.setMaxListeners(0)
    const ip = remoteAddress(req)
    const connection: Connection = { ip, refused: false, alive: true }
    connections.set(socket, connection)
    open.add(socket)
    socket.on('pong', () => { connection.alive = true })
    counters.connections++
    counters.connectionsTotal++
    perIp.set(ip, (perIp.get(ip) ?? 0) + 1)
    socket.once('close', () => {
      open.delete(socket)
      counters.connections--
      const left = perIp.get(ip)! - 1
      if (left > 0) perIp.set(ip, left)
      else perIp.delete(ip)
      clearTimeout(connection.timer)
      if (connection.peerId !== undefined && owners.get(connection.peerId) === socket) owners.delete(connection.peerId)
    })
    socket.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' && !connection.refused) {
        connection.refused = true
        countReject(counters, 'too-large')
        counters.framesRefused++
      }
    })
    if (perIp.get(ip)! > connectionsPerIp) return refuse(socket, 'connections-per-ip', `more than ${connectionsPerIp} connections from one address`)
    connection.timer = setTimeout(() => refuse(socket, 'no-announce', `no announce within ${announceTimeout} ms`), announceTimeout)

    const handled = socket.onMessageBound
    if (handled) socket.off('message', handled)
    socket.on('message', (data: unknown) => {
      if (connection.refused || !socket.onMessageBound) return
      const verdict = checkFrame(data)
      if (!verdict.ok) return refuse(socket, verdict.reason, verdict.detail)
      const { peerId } = verdict.message
      if (peerId !== undefined) {
        if (connection.peerId === undefined) {
          const owner = owners.get(peerId)
          if (owner && owner !== socket) return refuse(socket, 'peer-id-taken', 'another connection announced this peer id')
          owners.set(peerId, socket)
          connection.peerId = peerId
        } else if (connection.peerId !== peerId) {
          return refuse(socket, 'peer-id-changed', 'one connection announces one peer id')
        }
        clearTimeout(connection.timer)
      }
      deliver(socket, data)
    })
  })

  // Before the Server's own handler, which leaves a request alone once its headers are sent: /stats is ours, escaped.
  server.http.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET') return
    if (req.url === '/metrics') {
      res.setHeader('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
      res.end(prometheusText(counters, server.torrents))
    } else if (req.url === '/stats' && req.headers.accept !== 'application/json') {
      res.setHeader('Content-Type', 'text/html; charset=utf-8')
      res.end(statsHtml(server.torrents))
    }
  })

  // The Server's WebSocket server does not close its connections (ws 8, clientTracking off): close() ends them here.
  const sockets = new Set<Socket>()
  server.http.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })

  await new Promise<void>((done, fail) => {
    server.on('error', err => fail(new Error(`planktos tracker: cannot listen on ${host}:${port} (${err.message}); pass another port, or 0 for any free one.`)))
    server.once('listening', done)
    server.listen(port, host)
  })
  server.removeAllListeners('error')
  server.on('error', err => warn(`planktos tracker: ${err.message}`))

  let chain = Promise.resolve()
  const reload = (): Promise<void> => {
    if (!allow) return chain
    chain = chain.then(() => allow.reload(warn)).then(expired => {
      // Departed infohashes past their grace lose their swarm, so memory follows the allow list.
      for (const infoHash of expired) {
        delete server.torrents[infoHash]
        counts.delete(infoHash)
      }
    }).catch((err: Error) => warn(`planktos tracker: reloading the allow list failed (${err.message}); the previous list stays in force.`))
    return chain
  }
  const timer = allow ? setInterval(() => { void reload() }, reloadInterval) : undefined
  timer?.unref()

  const actualPort = (server.http.address() as { port: number }).port
  const origin = `${host.includes(':') ? `[${host}]` : host}:${actualPort}`
  return {
    url: `ws://${origin}`,
    statsUrl: `http://${origin}/stats`,
    metricsUrl: `http://${origin}/metrics`,
    port: actualPort,
    allowed: () => allow?.current() ?? null,
    announces: () => new Map(counts),
    refused: () => counters.rejects.get('not-allowed') ?? 0,
    rejects: () => new Map(counters.rejects),
    reload,
    close: () => new Promise<void>(done => {
      clearInterval(timer)
      clearInterval(heartbeat)
      server.close(() => done())
      for (const socket of sockets) socket.destroy()
    })
  }
}

function withoutUndefined<T extends object> (object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as Partial<T>
}

/** Rejects values the tracker cannot use, naming the option. */
function checkOptions<T extends typeof defaults> (options: T): T {
  const { port, host, reloadInterval, grace, maxPayload, announceTimeout, connectionsPerIp, heartbeat } = options
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`planktos tracker: option "port" must be a whole number from 0 to 65535; got ${JSON.stringify(port)}.`)
  if (typeof host !== 'string' || host === '') throw new Error(`planktos tracker: option "host" must be a host name or address such as "127.0.0.1"; got ${JSON.stringify(host)}.`)
  // Node turns timer delays above 2^31-1 ms into 1 ms, which would re-read the manifests continuously.
  if (typeof reloadInterval !== 'number' || !(reloadInterval >= 1 && reloadInterval <= 2 ** 31 - 1)) {
    throw new Error(`planktos tracker: option "reloadInterval" must be a number of milliseconds from 1 to 2147483647; got ${JSON.stringify(reloadInterval)}.`)
  }
  if (typeof grace !== 'number' || Number.isNaN(grace) || grace < 0) throw new Error(`planktos tracker: option "grace" must be a number of milliseconds, 0 or more; got ${JSON.stringify(grace)}.`)
  for (const [name, value, least] of [['maxPayload', maxPayload, 1024], ['announceTimeout', announceTimeout, 1], ['connectionsPerIp', connectionsPerIp, 1], ['heartbeat', heartbeat, 1]] as const) {
    if (!Number.isInteger(value) || value < least || value > 2 ** 31 - 1) throw new Error(`planktos tracker: option "${name}" must be a whole number from ${least} to 2147483647; got ${JSON.stringify(value)}.`)
  }
  return options
}
