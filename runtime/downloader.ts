// The page-side downloader's entry (runs in a page, loaded on demand by install.js): WebTorrent over the
// shared store, answering the worker's requests for files from peers (workers have no WebRTC, pages do), and
// what install.js leaves out to stay small: the `stats` event, consent, prefetch, and loading the debug overlay.
import WebTorrent from 'webtorrent/dist/webtorrent.min.js'
import { OVERLAY_FILE } from './shared/manifest.ts'
import type { DownloaderStats, Message, MessageOf, Traffic } from './shared/messages.ts'
import { Store } from './shared/store.ts'
import { abandonAll, answer } from './page/answer.ts'
import { choice, remember } from './page/consent.ts'
import { Live } from './page/live.ts'
import { startPrefetch } from './page/prefetch.ts'
import { loadManifest } from './page/site-files.ts'
import { Swarm } from './page/swarm.ts'
import { toWorker } from './page/worker-link.ts'
import { WriteBehind } from './page/write-behind.ts'

export interface Downloader {
  /** Answers a worker's `peer-request` on the port that came with it. */
  onPeerRequest (request: MessageOf<'peer-request'>, port: MessagePort): void
  /** The worker stored these files, or more of their bytes: seed the pieces they complete. */
  onStored (m: MessageOf<'stored'>): void
  /** The worker removed these files: stop offering them. */
  onEvicted (sha256: string[]): void
  /** This page's counters; also sends the worker the traffic it has not reported yet. */
  stats (): DownloaderStats
  /** Allows (or, with false, withdraws) peer-to-peer for the site, remembered, and applies it on this page. */
  enableP2P (allow?: boolean): Promise<void>
}

/** How often traffic is reported to the worker at most, while there is some. */
const TRAFFIC_EVERY = 1000
const DEBUG_HASH = '#planktos-debug'

/** Starts the downloader for the site under `base`, firing `stats` events on `planktos`; rejects when there is nothing it can do here. */
export async function start (base: string, planktos: EventTarget): Promise<Downloader> {
  // Peers' pieces are written behind (page/write-behind.ts).
  const store = new WriteBehind((await Store.open(base)).db)
  const manifest = await loadManifest(base, store)
  if (!manifest) throw new Error('planktos: the site manifest is unavailable')
  const { settings } = manifest
  // Asked once per page at most: Firefox shows the visitor a prompt for it.
  if (settings.persist) void navigator.storage?.persisted?.().then(yes => yes || navigator.storage.persist()).catch(() => {})
  const stats: DownloaderStats = {
    p2p: false, peers: 0, torrents: 0, requests: 0, banned: 0, fromPeers: 0, fromOrigin: 0, uploaded: 0, verifyFailures: 0,
    prefetch: { state: 'off', files: 0, bytes: 0 }
  }
  let swarm: Swarm | undefined
  const snapshot = (): DownloaderStats => ({ ...stats, prefetch: { ...stats.prefetch }, peers: swarm?.peers() ?? 0 })
  const live = new Live(planktos, snapshot)

  const sent: Traffic = { fromPeers: 0, fromOrigin: 0, uploaded: 0, verifyFailures: 0 }
  const flush = (): void => {
    const delta = { ...sent }
    let any = false
    for (const key of Object.keys(sent) as Array<keyof Traffic>) {
      delta[key] = stats[key] - sent[key]
      sent[key] = stats[key]
      any ||= delta[key] !== 0
    }
    if (any) void toWorker({ type: 'traffic', traffic: delta })
  }
  setInterval(() => {
    flush()
    live.poll()
    // Swarm states change with time too, with no event to say so (a tracker's socket opening, a silent one's wait
    // running out): the worker hears of it within a second. Only a change is sent.
    report()
  }, TRAFFIC_EVERY)

  let reported = ''
  const report = (): void => {
    // Without a swarm (no WebRTC, or peer-to-peer not allowed yet) the worker must not ask this page for peers.
    const message: Message = swarm ? { type: 'downloader', webrtc: true, swarms: swarm.states() } : { type: 'downloader', webrtc: false, swarms: [] }
    // Only changes are worth a message.
    const key = JSON.stringify(message)
    if (key === reported) return
    reported = key
    void toWorker(message)
    live.changed()
  }
  const startSwarm = (): void => {
    if (swarm || !WebTorrent.WEBRTC_SUPPORT) return
    swarm = new Swarm(manifest, base, store, stats, report)
    stats.p2p = true
    void swarm.joinHeld()
  }
  const stopSwarm = (): void => {
    if (!swarm) return
    abandonAll()
    swarm.destroy()
    swarm = undefined
    stats.p2p = false
    stats.torrents = 0
  }
  if (await choice(store) ?? settings.p2p === 'auto') startSwarm()
  report()

  // Its own file (OVERLAY_FILE): every reader would pay for what a few developers look at.
  const overlay = (): void => {
    void import(base + OVERLAY_FILE).then((m: typeof import('./page/overlay.ts')) => live.listen(m.showOverlay()), () => {})
  }
  if (settings.debug || location.hash === DEBUG_HASH) overlay()
  else addEventListener('hashchange', function debug () {
    if (location.hash !== DEBUG_HASH) return
    removeEventListener('hashchange', debug)
    overlay()
  })

  const stopPrefetch = settings.prefetch === 'none'
    ? () => {}
    : startPrefetch({ manifest, base, store, swarm: () => swarm, stats, onChange: () => live.poll() })
  addEventListener('pagehide', () => {
    stopPrefetch()
    abandonAll()
    flush()
  })
  const miss = (port: MessagePort, reason: string): void => port.postMessage({ type: 'miss', reason } satisfies Message)
  return {
    onPeerRequest: (request, port) => {
      if (swarm) void answer(request, port, { swarm, store, stats, flush })
      else miss(port, WebTorrent.WEBRTC_SUPPORT ? 'peer-to-peer is not enabled on this site' : 'no WebRTC in this browser')
    },
    onStored: (m) => { void swarm?.stored(m.files, m.range) },
    onEvicted: (sha256) => swarm?.evicted(sha256),
    stats: () => {
      flush()
      return snapshot()
    },
    enableP2P: async (allow = true) => {
      await remember(store, allow)
      if (allow) startSwarm()
      else stopSwarm()
      report()
    }
  }
}
