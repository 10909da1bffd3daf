// The `stats` event on `window.planktos` (runs in the page): the worker sends its counters whenever they change,
// the downloader's own are checked on a timer, and listeners hear about a change at most every THROTTLE ms.
import { isMessage, type DownloaderStats, type Message, type Served, type StatsDetail, type WorkerStats } from '../shared/messages.ts'

/** Shortest time between two `stats` events. */
const THROTTLE = 500

export class Live {
  readonly #target: EventTarget
  readonly #local: () => DownloaderStats
  readonly #listeners = new Set<(detail: StatsDetail) => void>()
  #worker: WorkerStats | undefined
  #recent: Served[] = []
  #last = 0
  #timer: ReturnType<typeof setTimeout> | undefined
  #seen = ''

  /** `target` is `window.planktos`; `local` reads this page's downloader counters. */
  constructor (target: EventTarget, local: () => DownloaderStats) {
    this.#target = target
    this.#local = local
    navigator.serviceWorker?.addEventListener('message', (e) => {
      const m = e.data as unknown
      if (isMessage(m) && m.type === 'stats') this.#fromWorker(m)
    })
    // The worker only sends on a change: ask once for where things stand.
    const sw = navigator.serviceWorker?.controller
    if (sw) {
      const { port1, port2 } = new MessageChannel()
      port1.onmessage = (e) => {
        const m = e.data as unknown
        if (isMessage(m) && m.type === 'stats') this.#fromWorker(m)
        port1.close()
      }
      sw.postMessage({ type: 'stats-request' } satisfies Message, [port2])
    }
  }

  /** Calls `listener` with every detail from now on (the overlay), and at once with the current one. */
  listen (listener: (detail: StatsDetail) => void): void {
    this.#listeners.add(listener)
    listener(this.detail())
  }

  /** Checks this page's own counters (peers come and go without the worker hearing of it). */
  poll (): void {
    const key = JSON.stringify(this.#local())
    if (key === this.#seen) return
    this.#seen = key
    this.changed()
  }

  /** Something changed: fire the event now, or once THROTTLE has passed since the last one. */
  changed (): void {
    if (this.#timer) return
    const wait = Math.max(0, this.#last + THROTTLE - Date.now())
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#last = Date.now()
      const detail = this.detail()
      for (const listener of this.#listeners) listener(detail)
      this.#target.dispatchEvent(new CustomEvent('stats', { detail }))
    }, wait)
  }

  detail (): StatsDetail {
    const w = this.#worker
    const d = this.#local()
    return {
      store: w?.bytes.store ?? 0,
      peers: w?.downloaders.fromPeers ?? d.fromPeers,
      origin: w ? w.bytes.origin + w.downloaders.fromOrigin : d.fromOrigin,
      uploaded: w?.downloaders.uploaded ?? d.uploaded,
      connected: d.peers,
      shards: d.torrents,
      verifyFailures: w ? w.verifyFailures + w.downloaders.verifyFailures : d.verifyFailures,
      recent: this.#recent,
      worker: w,
      downloader: d
    }
  }

  #fromWorker (m: Extract<Message, { type: 'stats' }>): void {
    this.#worker = m.stats
    if (m.recent) this.#recent = m.recent
    this.changed()
  }
}
