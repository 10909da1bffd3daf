// The one module that loads bittorrent-tracker, and the one wrapper around the parts of its Server that are not its
// public API (server.js of v11: onMessageBound, getSwarm/createSwarm's process.nextTick, torrents). bittorrent-tracker
// is an optional peer dependency (it pulls in native modules), so it is imported only when a tracker is started.
import { AsyncLocalStorage } from 'node:async_hooks'
import type { EventEmitter } from 'node:events'
import type { IncomingMessage, Server as HttpServer } from 'node:http'

export const MISSING_PACKAGE = 'planktos tracker needs the bittorrent-tracker package: npm install bittorrent-tracker'

type FilterCallback = (err?: Error | null) => void

/** A peer in one swarm (lib/server/swarm.js): `socket` is the WebSocket that announced it. */
export interface SwarmPeer { peerId: string, complete: boolean, socket: unknown }

/** A swarm: its peers in an LRU keyed by hex peer id. */
export interface Swarm { peers: { keys: string[], peek(peerId: string): SwarmPeer | undefined } }

/** A WebSocket as the Server decorates it. */
export interface TrackerSocket extends EventEmitter {
  /** The Server's own message handler; the guard calls it after checking the frame. */
  onMessageBound: ((data: unknown) => void) | null
  send(data: string): void
  ping(): void
  close(code?: number, reason?: string): void
  terminate(): void
}

/** The part of bittorrent-tracker's Server used here. */
export interface TrackerServer {
  http: HttpServer
  /** The WebSocket server (ws), created with the Server when `ws` is set. */
  ws: EventEmitter
  /** Swarms by hex infohash; the Server never removes them itself. */
  torrents: Record<string, Swarm>
  listen(port: number, host: string): void
  close(callback: () => void): void
  on(event: 'error' | 'warning', listener: (err: Error) => void): void
  once(event: 'listening', listener: () => void): void
  removeAllListeners(event: string): void
}

export interface ServerOptions {
  filter: (infoHash: string, params: unknown, callback: FilterCallback) => void
  /** Options for ws' WebSocketServer (maxPayload). */
  ws: { maxPayload: number }
  /** Called with the socket whose message threw inside the Server, so it can be closed and counted. */
  onException: (socket: TrackerSocket, err: unknown) => void
}

export interface GuardedServer {
  server: TrackerServer
  /** Hands a checked frame to the Server; an exception thrown now or in the Server's later ticks goes to onException. */
  deliver(socket: TrackerSocket, data: unknown): void
}

type Importer = () => Promise<{ default: unknown }>
// @ts-ignore: bittorrent-tracker publishes no types; the part used here is declared above as TrackerServer.
const importServer: Importer = () => import('bittorrent-tracker/server')

/** Loads bittorrent-tracker's Server class, failing with one sentence when the package is not installed. */
export async function loadServerClass (importer: Importer = importServer): Promise<new (options: object) => TrackerServer> {
  try {
    return (await importer()).default as new (options: object) => TrackerServer
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') throw Object.assign(new Error(`${MISSING_PACKAGE}.`), { expose: true })
    throw err
  }
}

/** A WebSocket-only bittorrent-tracker Server whose swarm callbacks run inside the guard of the message that led to them. */
export async function createServer (options: ServerOptions): Promise<GuardedServer> {
  const Server = await loadServerClass()
  // The socket whose message is being handled, carried through the Server's process.nextTick hops.
  const current = new AsyncLocalStorage<TrackerSocket>()
  const guarded = (fn: () => void): void => {
    try {
      fn()
    } catch (err) {
      const socket = current.getStore()
      if (socket) options.onException(socket, err)
      else throw err
    }
  }
  // getSwarm and createSwarm are the Server's documented extension points (lib/server/swarm.js says so), and every
  // asynchronous step of handling a message goes through them: wrapping their callbacks catches what slips through.
  const Guarded = class extends (Server as new (options: object) => TrackerServer & {
    getSwarm(infoHash: string, cb: (err: Error | null, swarm?: Swarm) => void): void
    createSwarm(infoHash: string, cb: (err: Error | null, swarm?: Swarm) => void): void
  }) {
    override getSwarm (infoHash: string, cb: (err: Error | null, swarm?: Swarm) => void): void {
      super.getSwarm(infoHash, (err, swarm) => guarded(() => cb(err, swarm)))
    }

    override createSwarm (infoHash: string, cb: (err: Error | null, swarm?: Swarm) => void): void {
      super.createSwarm(infoHash, (err, swarm) => guarded(() => cb(err, swarm)))
    }
  }
  const server = new Guarded({
    http: false, // no HTTP announces; the ws option still creates the HTTP server that upgrades and serves /stats
    udp: false,
    ws: { ...options.ws },
    stats: true,
    filter: options.filter
  })
  return {
    server,
    deliver: (socket, data) => current.run(socket, () => guarded(() => socket.onMessageBound?.(data)))
  }
}

/** The address a WebSocket's upgrade request came from. */
export function remoteAddress (req: IncomingMessage): string {
  return (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '')
}
