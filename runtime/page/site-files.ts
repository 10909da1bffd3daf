// planktos' own files as the downloader needs them (runs in the page): the manifest, shard parts and
// torrents, from the origin when it answers and otherwise from the copies in the store, so a visitor can
// keep seeding while the origin is down. Torrents and parts are named by their content, so old copies are right.
import { MANIFEST_FILE, MANIFEST_VERSION, type Manifest, type ShardPart, type ShardRef } from '../shared/manifest.ts'
import type { Store } from '../shared/store.ts'
import { isSitePath } from '../shared/urls.ts'

async function fromOrigin (url: string, cache: RequestCache): Promise<Response | undefined> {
  try {
    const res = await fetch(url, { cache })
    return res.ok ? res : undefined
  } catch {
    return undefined
  }
}

const usable = (m: Manifest | undefined, base: string): m is Manifest => m?.version === MANIFEST_VERSION && m.base === base &&
  Array.isArray(m.shards) && m.shards.every(s => isSitePath(s.part) && isSitePath(s.torrent))

/**
 * The site's manifest: the copy the worker keeps (it fetches a deploy's manifest when the deploy's worker installs),
 * else the origin's. Reading the copy saves every page a request.
 */
export async function loadManifest (base: string, store: Store): Promise<Manifest | undefined> {
  const kept = await store.getMeta<Manifest>('manifest').catch(() => undefined)
  if (usable(kept, base)) return kept
  const res = await fromOrigin(base + MANIFEST_FILE, 'no-cache')
  const fetched = await res?.json().catch(() => undefined) as Manifest | undefined
  return usable(fetched, base) ? fetched : undefined
}

/** A shard's file list, checked against the infohash the manifest names. */
export async function loadPart (base: string, shard: ShardRef, store: Store): Promise<ShardPart | undefined> {
  const key = `part:${shard.part}`
  let part = await store.getMeta<ShardPart>(key)
  if (!part) {
    part = await (await fromOrigin(base + shard.part, 'default'))?.json().catch(() => undefined) as ShardPart | undefined
    if (part?.infoHash === shard.infoHash) await store.setMeta(key, part).catch(() => {})
  }
  return part?.infoHash === shard.infoHash && part.version === MANIFEST_VERSION && part.files.every(f => isSitePath(f.path)) ? part : undefined
}

/** The store key of a shard's .torrent file; the swarm keeps a copy there once its infohash proved right. */
export const torrentKey = (infoHash: string): string => `torrent:${infoHash}`

/** A shard's .torrent file (WebTorrent checks its infohash against the manifest's before use). */
export async function loadTorrent (base: string, shard: ShardRef, store: Store): Promise<Uint8Array | undefined> {
  const bytes = await store.getMeta<Uint8Array>(torrentKey(shard.infoHash))
  if (bytes) return bytes
  const res = await fromOrigin(base + shard.torrent, 'default')
  return res && new Uint8Array(await res.arrayBuffer())
}
