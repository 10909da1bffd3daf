// The page-side downloader's entry (runs in a page, loaded on demand by install.js): WebTorrent over the
// shared store, answering the worker's requests for files from peers. Workers have no WebRTC, pages do.
import WebTorrent from 'webtorrent/dist/webtorrent.min.js'
import type { DownloaderStats, MessageOf } from './shared/messages.ts'
import { Store } from './shared/store.ts'
import { answer } from './page/answer.ts'
import { loadManifest } from './page/site-files.ts'
import { Swarm } from './page/swarm.ts'
import { toWorker } from './page/worker-link.ts'

export interface Downloader {
  /** Answers a worker's `peer-request` on the port that came with it. */
  onPeerRequest (request: MessageOf<'peer-request'>, port: MessagePort): void
  /** The worker stored these files: seed them. */
  onStored (sha256: string[]): void
  stats (): DownloaderStats
}

/** Starts the downloader for the site under `base`; rejects when there is nothing it can do here. */
export async function start (base: string): Promise<Downloader> {
  const store = await Store.open(base)
  const manifest = await loadManifest(base, store)
  if (!manifest) throw new Error('planktos: the site manifest is unavailable')
  const stats: DownloaderStats = { peers: 0, torrents: 0, fromPeers: 0, fromOrigin: 0, uploaded: 0, verifyFailures: 0 }
  if (!WebTorrent.WEBRTC_SUPPORT) {
    // No WebRTC: nothing to ask peers for. The worker still answers from the store and the origin.
    void toWorker({ type: 'downloader', peers: 0, settled: true })
    return {
      onPeerRequest: (_, port) => port.postMessage({ type: 'miss', reason: 'no WebRTC in this browser' }),
      onStored: () => {},
      stats: () => ({ ...stats })
    }
  }
  let reported = ''
  const report = async (): Promise<void> => {
    const message = { type: 'downloader', peers: swarm.peers(), settled: await swarm.settled() } as const
    // Only changes are worth a message.
    const key = `${message.peers}/${message.settled}`
    if (key !== reported) {
      reported = key
      await toWorker(message)
    }
  }
  const swarm = new Swarm(manifest, base, store, stats, () => { void report() })
  // Join every shard, so whatever is stored is seeded. (Sites with many shards will want lazy joins.)
  void Promise.all(manifest.shards.map(s => swarm.join(s.infoHash))).then(report)
  return {
    onPeerRequest: (request, port) => { void answer(request, port, swarm, store, stats) },
    onStored: (sha256) => { void swarm.stored(sha256) },
    stats: () => ({ ...stats, peers: swarm.peers() })
  }
}
