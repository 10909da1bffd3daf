// The page-side downloader's entry (runs in a page, loaded on demand by install.js): WebTorrent over the
// shared store, answering the worker's requests for files from peers. Workers have no WebRTC, pages do.
import WebTorrent from 'webtorrent/dist/webtorrent.min.js'
import type { DownloaderStats, Message, MessageOf, Traffic } from './shared/messages.ts'
import { Store } from './shared/store.ts'
import { abandonAll, answer } from './page/answer.ts'
import { loadManifest } from './page/site-files.ts'
import { Swarm } from './page/swarm.ts'
import { toWorker } from './page/worker-link.ts'

export interface Downloader {
  /** Answers a worker's `peer-request` on the port that came with it. */
  onPeerRequest (request: MessageOf<'peer-request'>, port: MessagePort): void
  /** The worker stored these files: seed them. */
  onStored (files: MessageOf<'stored'>['files']): void
  /** The worker removed these files: stop offering them. */
  onEvicted (sha256: string[]): void
  /** This page's counters; also sends the worker the traffic it has not reported yet. */
  stats (): DownloaderStats
}

/** How often traffic is reported to the worker at most, while there is some. */
const TRAFFIC_EVERY = 1000

/** Starts the downloader for the site under `base`; rejects when there is nothing it can do here. */
export async function start (base: string): Promise<Downloader> {
  const store = await Store.open(base)
  const manifest = await loadManifest(base, store)
  if (!manifest) throw new Error('planktos: the site manifest is unavailable')
  // Asked once per page at most: Firefox shows the visitor a prompt for it.
  if (manifest.settings.persist) void navigator.storage?.persisted?.().then(yes => yes || navigator.storage.persist()).catch(() => {})
  const stats: DownloaderStats = { peers: 0, torrents: 0, requests: 0, banned: 0, fromPeers: 0, fromOrigin: 0, uploaded: 0, verifyFailures: 0 }
  if (!WebTorrent.WEBRTC_SUPPORT) {
    // No WebRTC: nothing to ask peers for. The worker still answers from the store and the origin.
    void toWorker({ type: 'downloader', webrtc: false, swarms: [] })
    return {
      onPeerRequest: (_, port) => port.postMessage({ type: 'miss', reason: 'no WebRTC in this browser' } satisfies Message),
      onStored: () => {},
      onEvicted: () => {},
      stats: () => ({ ...stats })
    }
  }

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
  setInterval(flush, TRAFFIC_EVERY)

  let reported = ''
  const report = (): void => {
    const swarms = swarm.states()
    // Only changes are worth a message.
    const key = JSON.stringify(swarms)
    if (key === reported) return
    reported = key
    void toWorker({ type: 'downloader', webrtc: true, swarms })
  }
  const swarm = new Swarm(manifest, base, store, stats, report)
  report()
  void swarm.joinHeld()
  addEventListener('pagehide', () => {
    abandonAll()
    flush()
  })
  return {
    onPeerRequest: (request, port) => { void answer(request, port, { swarm, store, stats, flush }) },
    onStored: (files) => { void swarm.stored(files) },
    onEvicted: (sha256) => swarm.evicted(sha256),
    stats: () => {
      flush()
      return { ...stats, peers: swarm.peers() }
    }
  }
}
