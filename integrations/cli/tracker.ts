// `planktos tracker`: bittorrent-tracker's WebSocket server, optionally limited to the infohashes of built sites.
// Node only. The allow list is re-read on a timer, so a deploy needs no restart, and keeps departed infohashes for a
// grace period, so visitors still on the previous build keep finding peers.
import type { EventEmitter } from 'node:events'
import { readFile } from 'node:fs/promises'
import type { Server as HttpServer } from 'node:http'
import type { Socket } from 'node:net'
import { resolve } from 'node:path'
// @ts-ignore: bittorrent-tracker publishes no types; the part used here is declared below as TrackerServer.
import Server from 'bittorrent-tracker/server'
import type { Manifest } from '../../runtime/shared/manifest.ts'

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
  /** Problems that do not stop the tracker, such as a manifest that could not be re-read. */
  onWarning?: (message: string) => void
}

export interface TrackerHandle {
  /** The announce URL, such as `ws://127.0.0.1:8000`. */
  url: string
  /** bittorrent-tracker's statistics page; `/stats.json` beside it gives JSON. */
  statsUrl: string
  port: number
  /** The infohashes (hex) announces are accepted for, or null when every infohash is. */
  allowed(): Set<string> | null
  /** Accepted announces per infohash (hex), for infohashes that still have a swarm. */
  announces(): Map<string, number>
  /** Announces refused because their infohash is not allowed. */
  refused(): number
  /** Re-reads the allow list now; a manifest that cannot be read keeps its last list and is reported to onWarning. */
  reload(): Promise<void>
  close(): Promise<void>
}

type FilterCallback = (err?: Error | null) => void

/** The part of bittorrent-tracker's Server used here (server.js, v11). */
interface TrackerServer {
  http: HttpServer
  /** The WebSocket server (ws), created with the Server when `ws` is true. */
  ws: EventEmitter
  /** Swarms by hex infohash; the Server never removes them itself. */
  torrents: Record<string, unknown>
  listen(port: number, host: string): void
  close(callback: () => void): void
  on(event: 'error', listener: (err: Error) => void): void
  once(event: 'listening', listener: () => void): void
  removeAllListeners(event: string): void
}
const TrackerServer = Server as unknown as new (options: {
  http: boolean, udp: boolean, ws: boolean, stats: boolean, filter: (infoHash: string, params: unknown, callback: FilterCallback) => void
}) => TrackerServer

const defaults = { port: 0, host: '127.0.0.1', reloadInterval: 60_000, grace: 24 * 60 * 60 * 1000 }

/** Starts a WebSocket tracker; with `allow`, it refuses announces for infohashes the sites' manifests do not list. */
export async function startTracker (options: TrackerOptions = {}): Promise<TrackerHandle> {
  const { port, host, reloadInterval, grace } = checkOptions({ ...defaults, ...withoutUndefined(options) })
  const warn = options.onWarning ?? (() => {})
  const allow = options.allow?.length ? await loadAllowList(options.allow, grace) : null

  const counts = new Map<string, number>()
  let refused = 0
  const server = new TrackerServer({
    http: false, // no HTTP announces; the ws option still creates the HTTP server that upgrades and serves /stats
    udp: false,
    ws: true,
    stats: true,
    filter: (infoHash, _params, callback) => {
      // Refusing here comes before the Server creates a swarm, so unknown infohashes cost no memory.
      if (allow && !allow.allows(infoHash)) {
        refused++
        return callback(new Error(`This tracker only tracks the torrents of its own sites; infohash ${infoHash} is not one of them.`))
      }
      counts.set(infoHash, (counts.get(infoHash) ?? 0) + 1)
      callback(null)
    }
  })

  // Every message the Server fails to send to a peer that just left adds one more no-op error listener to its socket
  // (server.js, _onWebSocketClose): harmless, as the socket goes with its listeners, but past ten Node prints a
  // MaxListenersExceededWarning into the tracker's output whenever peers drop while offers are relayed to them.
  server.ws.on('connection', (socket: EventEmitter) => { socket.setMaxListeners(0) })

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
    port: actualPort,
    allowed: () => allow?.current() ?? null,
    announces: () => new Map(counts),
    refused: () => refused,
    reload,
    close: () => new Promise<void>(done => {
      clearInterval(timer)
      server.close(() => done())
      for (const socket of sockets) socket.destroy()
    })
  }
}

interface AllowList {
  allows(infoHash: string): boolean
  current(): Set<string>
  /** Re-reads every manifest; returns the infohashes whose grace ran out. */
  reload(warn: (message: string) => void): Promise<string[]>
}

/** Reads every manifest once, failing with a sentence naming the first unreadable one. */
async function loadAllowList (sources: string[], grace: number): Promise<AllowList> {
  const lists = new Map<string, Set<string>>()
  for (const source of sources) {
    try {
      lists.set(source, await readInfoHashes(source))
    } catch (err) {
      throw new Error(`planktos tracker: cannot read the manifest ${source} (${(err as Error).message}); pass the path or URL of a built site's planktos/manifest.json.`)
    }
  }
  let listed = union(lists.values())
  const departed = new Map<string, number>() // infohash -> when it left every manifest

  const inGrace = (infoHash: string, now: number): boolean => {
    const since = departed.get(infoHash)
    return since !== undefined && now - since < grace
  }
  return {
    allows: infoHash => listed.has(infoHash) || inGrace(infoHash, Date.now()),
    current: () => {
      const now = Date.now()
      return new Set([...listed, ...[...departed.keys()].filter(h => inGrace(h, now))])
    },
    async reload (warn) {
      const results = await Promise.allSettled(sources.map(readInfoHashes))
      results.forEach((result, i) => {
        const source = sources[i]!
        if (result.status === 'fulfilled') lists.set(source, result.value)
        else warn(`planktos tracker: could not reload ${source} (${(result.reason as Error).message}); still allowing the ${lists.get(source)!.size} infohashes it listed before.`)
      })
      const now = Date.now()
      const next = union(lists.values())
      for (const infoHash of listed) if (!next.has(infoHash)) departed.set(infoHash, now)
      for (const infoHash of next) departed.delete(infoHash)
      listed = next
      const expired = [...departed.keys()].filter(h => !inGrace(h, now))
      for (const infoHash of expired) departed.delete(infoHash)
      return expired
    }
  }
}

/** The shards' infohashes (lower-case hex) of one root manifest, from a file or an http(s) URL. */
async function readInfoHashes (source: string): Promise<Set<string>> {
  const text = /^https?:\/\//i.test(source) ? await download(source) : await readText(source)
  let manifest: Partial<Manifest>
  try {
    manifest = JSON.parse(text)
  } catch {
    throw new Error('it is not JSON')
  }
  if (!Array.isArray(manifest?.shards)) throw new Error('it has no "shards" list, so it is not a planktos manifest')
  const infoHashes = new Set<string>()
  for (const shard of manifest.shards) {
    const infoHash: unknown = shard?.infoHash
    if (typeof infoHash !== 'string' || !/^[0-9a-f]{40}$/i.test(infoHash)) throw new Error(`it lists a shard whose infoHash is not 40 hex digits: ${JSON.stringify(infoHash)}`)
    infoHashes.add(infoHash.toLowerCase())
  }
  return infoHashes
}

async function readText (path: string): Promise<string> {
  try {
    return await readFile(resolve(path), 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new Error(code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (err as Error).message)
  }
}

async function download (url: string): Promise<string> {
  let response: Response
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(10_000) })
  } catch (err) {
    // fetch's own message is "fetch failed"; the reason (ECONNREFUSED, a timeout) is in its cause.
    const cause = (err as Error & { cause?: Error }).cause
    throw new Error(cause?.message ?? (err as Error).message)
  }
  if (!response.ok) throw new Error(`the server answered HTTP ${response.status}`)
  return response.text()
}

function union (sets: Iterable<Set<string>>): Set<string> {
  const all = new Set<string>()
  for (const set of sets) for (const item of set) all.add(item)
  return all
}

function withoutUndefined<T extends object> (object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as Partial<T>
}

/** Rejects values the tracker cannot use, naming the option. */
function checkOptions<T extends typeof defaults> (options: T): T {
  const { port, host, reloadInterval, grace } = options
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`planktos tracker: option "port" must be a whole number from 0 to 65535; got ${JSON.stringify(port)}.`)
  if (typeof host !== 'string' || host === '') throw new Error(`planktos tracker: option "host" must be a host name or address such as "127.0.0.1"; got ${JSON.stringify(host)}.`)
  // Node turns timer delays above 2^31-1 ms into 1 ms, which would re-read the manifests continuously.
  if (typeof reloadInterval !== 'number' || !(reloadInterval >= 1 && reloadInterval <= 2 ** 31 - 1)) {
    throw new Error(`planktos tracker: option "reloadInterval" must be a number of milliseconds from 1 to 2147483647; got ${JSON.stringify(reloadInterval)}.`)
  }
  if (typeof grace !== 'number' || Number.isNaN(grace) || grace < 0) throw new Error(`planktos tracker: option "grace" must be a number of milliseconds, 0 or more; got ${JSON.stringify(grace)}.`)
  return options
}
