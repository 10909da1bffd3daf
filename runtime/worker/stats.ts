// The worker's counters, read by pages through a `stats-request` message.
import type { BySource, WorkerStats } from '../shared/messages.ts'

export const stats: WorkerStats = {
  responses: { store: 0, peers: 0, origin: 0 },
  bytes: { store: 0, peers: 0, origin: 0 },
  passed: 0,
  verifyFailures: 0,
  stored: 0
}

/** Counts one site-file response served from `source`. */
export function served (source: keyof BySource, bytes: number): void {
  stats.responses[source]++
  stats.bytes[source] += bytes
}
