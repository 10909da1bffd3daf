// `planktos tracker`'s counters, served at /metrics in the Prometheus text exposition format (version 0.0.4), and its
// /stats page with every peer-chosen character escaped. The format is a dozen lines of text, so it is written here:
// prom-client would add a dependency and a process-wide registry for five numbers.
import type { RejectReason } from './tracker-guard.ts'
import type { Swarm } from './tracker-server.ts'

export interface Counters {
  /** Open WebSocket connections. */
  connections: number
  connectionsTotal: number
  announces: number
  /** Frames that closed their socket (a subset of the rejects). */
  framesRefused: number
  rejects: Map<RejectReason, number>
}

export function newCounters (): Counters {
  return { connections: 0, connectionsTotal: 0, announces: 0, framesRefused: 0, rejects: new Map() }
}

export function countReject (counters: Counters, reason: RejectReason): void {
  counters.rejects.set(reason, (counters.rejects.get(reason) ?? 0) + 1)
}

const REASONS: RejectReason[] = ['not-allowed', 'too-large', 'not-json', 'bad-message', 'peer-id-changed', 'peer-id-taken', 'connections-per-ip', 'no-announce', 'exception']

/** The counters and the swarms' sizes in the Prometheus text format. */
export function prometheusText (counters: Counters, torrents: Record<string, Swarm>): string {
  let swarms = 0
  let peers = 0
  for (const infoHash in torrents) {
    swarms++
    peers += torrents[infoHash]!.peers.keys.length
  }
  const metric = (name: string, type: 'gauge' | 'counter', help: string, lines: string[]): string =>
    `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${lines.join('\n')}\n`
  return [
    metric('planktos_tracker_connections', 'gauge', 'Open WebSocket connections.', [`planktos_tracker_connections ${counters.connections}`]),
    metric('planktos_tracker_connections_total', 'counter', 'WebSocket connections accepted since the start.', [`planktos_tracker_connections_total ${counters.connectionsTotal}`]),
    metric('planktos_tracker_swarms', 'gauge', 'Swarms (infohashes) held in memory.', [`planktos_tracker_swarms ${swarms}`]),
    metric('planktos_tracker_peers', 'gauge', 'Peers over all swarms.', [`planktos_tracker_peers ${peers}`]),
    metric('planktos_tracker_announces_total', 'counter', 'Announces accepted.', [`planktos_tracker_announces_total ${counters.announces}`]),
    metric('planktos_tracker_rejects_total', 'counter', 'Announces, frames and connections refused, by reason.',
      REASONS.map(reason => `planktos_tracker_rejects_total{reason="${reason}"} ${counters.rejects.get(reason) ?? 0}`)),
    metric('planktos_tracker_frames_refused_total', 'counter', 'WebSocket frames that closed the connection that sent them.', [`planktos_tracker_frames_refused_total ${counters.framesRefused}`])
  ].join('')
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, c => ESCAPES[c]!)

/** The statistics page: swarm and peer counts, and peers by the client prefix of their id (`-WW0208-`), escaped. */
export function statsHtml (torrents: Record<string, Swarm>): string {
  let active = 0
  const peerIds = new Set<string>()
  const seeders = new Set<string>()
  for (const infoHash in torrents) {
    const swarm = torrents[infoHash]!
    if (swarm.peers.keys.length > 0) active++
    for (const peerId of swarm.peers.keys) {
      peerIds.add(peerId)
      if (swarm.peers.peek(peerId)?.complete) seeders.add(peerId)
    }
  }
  const clients = new Map<string, number>()
  for (const peerId of peerIds) {
    // Peer ids are chosen by the peers: the prefix is shown as text, never as markup.
    const prefix = Buffer.from(peerId, 'hex').toString('latin1').slice(0, 8)
    clients.set(prefix, (clients.get(prefix) ?? 0) + 1)
  }
  const list = [...clients].sort((a, b) => b[1] - a[1]).map(([prefix, n]) => `<li><code>${escapeHtml(JSON.stringify(prefix))}</code>: ${n}</li>`)
  return [
    '<!doctype html><meta charset="utf-8"><title>planktos tracker</title>',
    `<h1>${Object.keys(torrents).length} torrents (${active} active)</h1>`,
    `<h2>Connected Peers: ${peerIds.size}</h2>`,
    `<h3>Seeders: ${seeders.size}</h3>`,
    '<h3>Clients (by peer id prefix):</h3>',
    `<ul>${list.join('')}</ul>`,
    ''
  ].join('\n')
}
