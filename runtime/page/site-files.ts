// planktos' own files as the downloader needs them (runs in the page): the manifest, the shards' parts and their
// piece hashes (from which torrent-file.ts rebuilds each torrent), from the origin when it answers and otherwise from
// the copies in the store, so a visitor can keep seeding while the origin is down. Parts are named by their content
// and hashes by the infohash that covers them, so an old copy is right unless it was altered, which loadPart and the
// swarm's infohash check catch.
import { MANIFEST_FILE, MANIFEST_VERSION, piecesFile, type Manifest, type ShardPart, type ShardRef } from '../shared/manifest.ts'
import { partIntact } from '../shared/integrity.ts'
import { piecesKey, type Store } from '../shared/store.ts'
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
  Array.isArray(m.shards) && m.shards.every(s => isSitePath(s.part))

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

/** A shard's file list, checked against the infohash the manifest names. Used only if it is what its name says
 * (partIntact), the stored copy as the fetched one: its paths and sizes make the shard's torrent, and a wrong copy
 * kept would keep every later page out of the shard's swarm. */
export async function loadPart (base: string, shard: ShardRef, store: Store): Promise<ShardPart | undefined> {
  const key = `part:${shard.part}`
  const intact = async (p: ShardPart | undefined): Promise<boolean> => !!p && await partIntact(p, shard.part).catch(() => false)
  let part = await store.getMeta<ShardPart>(key)
  if (!await intact(part)) {
    part = await (await fromOrigin(base + shard.part, 'default'))?.json().catch(() => undefined) as ShardPart | undefined
    if (!await intact(part)) return undefined
    await store.setMeta(key, part).catch(() => {})
  }
  return part?.infoHash === shard.infoHash && part.version === MANIFEST_VERSION && part.files.every(f => isSitePath(f.path)) ? part : undefined
}

/** A shard's piece hashes (WebTorrent checks the torrent they make against the manifest's infohash before use);
 * throws if neither the store nor the origin has them (the swarm's join catches it). */
export async function loadPieces (base: string, shard: ShardRef, store: Store): Promise<Uint8Array> {
  return await store.getMeta<Uint8Array>(piecesKey(shard.infoHash)) ??
    new Uint8Array(await (await fromOrigin(base + piecesFile(shard.infoHash), 'default'))!.arrayBuffer())
}
