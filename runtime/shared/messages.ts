// Every message between the pages and the worker: one discriminated union, so the compiler checks both ends.
// Replies travel on a MessagePort sent with the request (Workbox's pattern); every wait for one has a timeout.

/** Counters by source of the bytes a response carried. */
export interface BySource {
  store: number
  peers: number
  origin: number
}

/** What the downloaders of the site's pages did, counted at the wire. */
export interface Traffic {
  /** Bytes received from peers. */
  fromPeers: number
  /** Bytes the web seed fetched from the origin. */
  fromOrigin: number
  /** Bytes sent to peers. */
  uploaded: number
  /** Pieces or files that failed verification. */
  verifyFailures: number
}

/**
 * What the worker has done since the site's store was created. Kept in the store, because the browser stops an
 * idle worker at any time and a new one would start from zero.
 */
export interface WorkerStats {
  /** Site-file responses the worker gave, by where their bytes came from. */
  responses: BySource
  /** Bytes of those responses, by source. */
  bytes: BySource
  /** Requests left to the network untouched (not site files, or not GET). */
  passed: number
  /** Files whose bytes did not match the manifest's SHA-256 (store, origin or a page's answer). */
  verifyFailures: number
  /** Files the worker stored after verifying them. */
  stored: number
  /** Downloads of large files that ended, whole or given up (after which nothing more is fetched for them). */
  ended: number
  /** The downloaders' traffic, summed over every page that ran one. */
  downloaders: Traffic
}

/** How far a page's prefetch (`prefetch` setting) got. */
export interface PrefetchProgress {
  /** `off`: not configured; `waiting`: for the page to be idle; `stopped`: the page went away or the origin failed. */
  state: 'off' | 'waiting' | 'running' | 'done' | 'stopped'
  /** Files it stored, and their bytes. */
  files: number
  bytes: number
}

/** What a page's downloader has done since it started. */
export interface DownloaderStats extends Traffic {
  /** Whether this page may reach peers: false under `p2p: 'opt-in'` until `planktos.enableP2P()`, or without WebRTC. */
  p2p: boolean
  /** Connected peers (web seed excluded), summed over torrents. */
  peers: number
  /** Torrents joined. */
  torrents: number
  /** Requests for files the worker sent this page. */
  requests: number
  /** Peers disconnected for sending data that failed verification. */
  banned: number
  prefetch: PrefetchProgress
}

/** A site file the worker answered, and where its bytes came from (newest first in lists). */
export interface Served {
  path: string
  source: keyof BySource
}

/** What a `stats` event on `window.planktos` carries: the totals people ask for first, and the counters behind them. */
export interface StatsDetail {
  /** Bytes of the site's responses answered from the store. */
  store: number
  /** Bytes received from peers, counted at the wire by every page's downloader. */
  peers: number
  /** Bytes from the origin: the worker's answers and the downloaders' web seed. */
  origin: number
  /** Bytes sent to peers. */
  uploaded: number
  /** Peers this page is connected to now. */
  connected: number
  /** Shards (torrents) this page has joined. */
  shards: number
  /** Files or pieces that failed verification, in the worker and in the downloaders. */
  verifyFailures: number
  /** Site files the worker answered lately, newest first (since the worker last started). */
  recent: Served[]
  worker?: WorkerStats
  downloader?: DownloaderStats
}

/** What a page's downloader knows of one shard's swarm. */
export interface SwarmState {
  infoHash: string
  /** Connected peers (web seed excluded). */
  peers: number
  /** A tracker answered that nobody else is in the swarm: asking this page for its files is pointless. */
  alone: boolean
}

/** A site file as the downloader needs to find and check it. */
export interface FileRef {
  path: string
  sha256: string
  size: number
  /** The shard (torrent) holding it. */
  infoHash: string
}

export type Message =
  // page -> worker
  /**
   * This page's install script listens for peer requests (it starts the downloader on the first one), and whether
   * this browser has WebRTC (RTCPeerConnection). Without it no page of this browser can ever supply peers' bytes, so
   * the worker neither asks pages nor waits for them (WebKitGTK, some locked-down browsers), and the page never loads
   * the downloader on its own.
   */
  | { type: 'hello', webrtc: boolean }
  /**
   * This page runs the downloader; sent on start and whenever a swarm changes. Shards not listed are not joined
   * yet: the page may still find peers for them. Without WebRTC, the page can find none.
   */
  | { type: 'downloader', webrtc: boolean, swarms: SwarmState[] }
  /** What this page's downloader did since its last report, counted at the wire. */
  | { type: 'traffic', traffic: Traffic }
  /** A page loaded before the worker controlled it lists what it fetched, so the worker can store those files. */
  | { type: 'seen', urls: string[] }
  /** Asks for the worker's counters; the reply is `stats` on the port sent along. */
  | { type: 'stats-request' }
  /** To a waiting worker (`update: 'prompt'`): take over now (`planktos.update()`). */
  | { type: 'skip-waiting' }
  // worker -> page
  /** The worker's counters: the reply to `stats-request`, and sent to every page whenever they change (throttled). */
  | { type: 'stats', stats: WorkerStats, recent?: Served[] }
  /** A new deploy's worker will wait for `planktos.update()` (`update: 'prompt'`): the page fires `update`. */
  | { type: 'update-waiting' }
  /**
   * Asks a page to get a file from peers, from byte `from` on; the exchange continues on the port sent along. For
   * a navigation, `deps` are the new page's subresources: fetched and stored too before the last chunk, so they
   * are in the store when the new page asks for them (the asking page is gone by then).
   */
  | { type: 'peer-request', file: FileRef, deps: FileRef[], from: number }
  /**
   * The answer to a first page's `hello` when the site wants the downloader there at once (`prefetch` or `debug` on):
   * otherwise a visitor's first page starts it only when the worker asks it for peers.
   */
  | { type: 'start' }
  /**
   * The worker stored these files, or (`range`) bytes [from, to) of the one file listed, from the origin: a downloader
   * may now seed the pieces they complete, once each matched the torrent's SHA-1. With a range, only the pieces it
   * touches are checked: a large file is announced a MiB at a time without re-reading what came before.
   */
  | { type: 'stored', files: Array<{ sha256: string, infoHash: string }>, range?: [number, number] }
  /** The worker removed these files to stay within `maxStorage`: a downloader must stop offering them. */
  | { type: 'evicted', sha256: string[] }
  /**
   * The worker is streaming a response: a page answers with `hello`, an event that keeps the browser from
   * stopping the worker mid-stream (Firefox stops a worker 30 s after its last event, cutting the body short).
   */
  | { type: 'keep-alive' }
  // on a peer-request's port, page -> worker
  /** Bytes arriving for the request so far; keeps the worker from hedging to the origin. */
  | { type: 'progress', bytes: number }
  /**
   * Peers cannot supply the file, or no more of it (no peers, a stall, the page leaving): the worker uses the origin.
   * The reason is for people reading messages; the install script, which pays for every byte, gives none.
   */
  | { type: 'miss', reason?: string }
  /** Peers have the file and the page is fetching it; the worker pulls it. */
  | { type: 'ready', size: number }
  /**
   * The next bytes of the file in order, one per `pull`, sent as soon as WebTorrent has verified (SHA-1) and
   * stored the pieces holding them; `last` ends the file. The whole file's SHA-256 is the worker's to check.
   */
  | { type: 'chunk', bytes: ArrayBuffer, last: boolean }
  // on a peer-request's port, worker -> page
  | { type: 'pull' }
  /** The worker no longer needs the file (the origin won the race, or the page went away). */
  | { type: 'cancel' }

export type MessageType = Message['type']
export type MessageOf<T extends MessageType> = Extract<Message, { type: T }>

const TYPES: ReadonlySet<string> = new Set<MessageType>([
  'hello', 'downloader', 'traffic', 'seen', 'stats-request', 'skip-waiting', 'stats', 'update-waiting', 'peer-request',
  'start', 'stored', 'evicted', 'keep-alive',
  'progress', 'miss', 'ready', 'chunk', 'pull', 'cancel'
])

/** Whether `data` looks like one of our messages (other scripts may post to the same targets). */
export function isMessage (data: unknown): data is Message {
  return typeof data === 'object' && data !== null && TYPES.has((data as { type?: unknown }).type as string)
}
