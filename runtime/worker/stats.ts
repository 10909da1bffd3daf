// The worker's counters, read by pages through a `stats-request` message and sent to every page after each change
// (for the `stats` event and the overlay). They are kept in the store, because the browser stops an idle worker
// whenever it likes and the next one would otherwise start from zero.
import type { BySource, Served, Traffic, WorkerStats } from '../shared/messages.ts'
import { broadcast } from './pages.ts'
import { store } from './storage.ts'

const KEY = 'stats'
/** Counting happens in bursts (a page and its files): one write per burst. */
const SAVE_AFTER = 200

export const stats: WorkerStats = {
  responses: { store: 0, peers: 0, origin: 0 },
  bytes: { store: 0, peers: 0, origin: 0 },
  passed: 0,
  verifyFailures: 0,
  stored: 0,
  ended: 0,
  downloaders: { fromPeers: 0, fromOrigin: 0, uploaded: 0, verifyFailures: 0 }
}

/** Site files answered lately, newest first: for the debug overlay, so not worth keeping across restarts. */
const recent: Served[] = []
const RECENT = 20

let loaded: Promise<void> | undefined
/** The save under way (waiting or writing), and whether the counters changed since it last wrote them. */
let saving: Promise<void> | undefined
let dirty = false

/** Adds the counters an earlier run of the worker saved; what this run counted meanwhile is kept. */
export function loadStats (): Promise<void> {
  loaded ??= store().then(db => db?.getMeta<WorkerStats>(KEY)).then(saved => { if (saved) add(stats, saved) }, () => {})
  return loaded
}

function add<T extends object> (to: T, from: Partial<T>): void {
  for (const key of Object.keys(to) as Array<keyof T>) {
    const v = from[key]
    if (typeof v === 'number') (to[key] as number) += v
    else if (v && typeof v === 'object') add(to[key] as object, v)
  }
}

/** Saves the counters soon; the promise settles once they are written (for `waitUntil`). */
export function saveStats (): Promise<void> {
  dirty = true
  saving ??= (async () => {
    await new Promise(resolve => setTimeout(resolve, SAVE_AFTER))
    await loadStats()
    const db = await store()
    while (dirty) {
      dirty = false
      await db?.setMeta(KEY, stats)
    }
    // Pages fire their `stats` event and update the overlay from this: one message per burst, like the write.
    await broadcast({ type: 'stats', stats, recent })
  })().catch(() => {}).finally(() => {
    saving = undefined
    if (dirty) void saveStats()
  })
  return saving
}

/** Settles once the counters as they are now are written (at once when nothing is waiting to be written). */
export function statsSaved (): Promise<void> {
  return saving ?? loadStats()
}

/** Counts one site-file response served from `source`. */
export function served (source: keyof BySource, bytes: number): void {
  stats.responses[source]++
  stats.bytes[source] += bytes
  void saveStats()
}

/**
 * Counts bytes of a streamed response as the page reads them, not the range it asked for: a media player opens
 * open-ended ranges and cancels them after a few chunks (WebKit's does it all the time).
 */
export function delivered (source: keyof BySource, bytes: number): void {
  stats.bytes[source] += bytes
  void saveStats()
}

/** Remembers that `path` was answered from `source`, for the overlay. */
export function noteServed (path: string, source: keyof BySource): void {
  recent.unshift({ path, source })
  recent.length = Math.min(recent.length, RECENT)
}

/** Counts one event of the plain counters. */
export function count (name: 'passed' | 'verifyFailures' | 'stored' | 'ended'): void {
  stats[name]++
  void saveStats()
}

/** Adds what a page's downloader reported. */
export function addTraffic (traffic: Traffic): void {
  add(stats.downloaders, traffic)
  void saveStats()
}
