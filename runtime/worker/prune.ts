// Dropping what no page needs any more after a deploy: the manifests of builds that neither navigations (the newest)
// nor an open page (its pin) use, their parts and piece hashes, and the files only they listed. Files are keyed by
// SHA-256, so a file a deploy did not change belongs to the new build too and stays.
import { findShard, type Manifest, type ShardPart } from '../shared/manifest.ts'
import { broadcast } from './pages.ts'
import { buildsInUse } from './pins.ts'
import { scope } from './scope.ts'
import { BUILD_PREFIX, forgetBuild, loadManifest, loadPart } from './site.ts'
import { store } from './storage.ts'
import { piecesKey } from '../shared/store.ts'

let running: Promise<void> | undefined

/** Prunes the builds nobody uses; one run at a time (a second caller shares the run under way). */
export function prune (): Promise<void> {
  running ??= pruneNow().catch(() => {}).finally(() => { running = undefined })
  return running
}

async function pruneNow (): Promise<void> {
  const db = await store()
  const newest = await loadManifest()
  if (!db || !newest) return
  const open = new Set((await scope.clients.matchAll({ type: 'all', includeUncontrolled: true })).map(c => c.id))
  const keep = await buildsInUse(open)
  keep.add(newest.buildId)
  const stored = (await db.metaKeys(BUILD_PREFIX)).map(k => k.slice(BUILD_PREFIX.length))
  const dropped = stored.filter(id => !keep.has(id))
  if (!dropped.length) return

  const manifests = async (ids: Iterable<string>): Promise<Manifest[]> => {
    const out: Manifest[] = []
    for (const id of ids) {
      const m = await db.getMeta<Manifest>(BUILD_PREFIX + id)
      if (m) out.push(m)
    }
    return out
  }
  const kept = await manifests(keep)
  if (!kept.some(m => m.buildId === newest.buildId)) kept.push(newest)
  const old = await manifests(dropped)
  const keptParts = new Set(kept.flatMap(m => m.shards.map(s => s.part)))

  // Files listed by a dropped build's changed shards (an unchanged shard has the same part, kept as a whole)...
  const candidates = new Map<string, string>()
  const goneShards = old.flatMap(m => m.shards).filter(s => !keptParts.has(s.part))
  for (const shard of goneShards) {
    const part = await db.getMeta<ShardPart>(`part:${shard.part}`)
    for (const f of part?.files ?? []) if ((await db.record(f.sha256)) !== undefined) candidates.set(f.sha256, f.path)
  }
  // ...unless a kept build lists them too. Its parts are read from the store, and from the origin for the shards
  // holding a candidate's path (where an unchanged file of a changed shard is); a part that cannot be had leaves
  // every file in place, for a later run. Same bytes under another, never-visited path may be dropped and fetched again.
  const removed: string[] = []
  if (candidates.size) {
    const needed = new Set<string>()
    for (const m of kept) {
      for (const path of candidates.values()) {
        const shard = findShard(m, path)
        if (shard) needed.add(shard.part)
      }
    }
    for (const shard of new Map(kept.flatMap(m => m.shards).map(s => [s.part, s])).values()) {
      const part = needed.has(shard.part) ? await loadPart(shard) : await db.getMeta<ShardPart>(`part:${shard.part}`)
      if (!part && needed.has(shard.part)) return
      for (const f of part?.files ?? []) candidates.delete(f.sha256)
    }
    for (const sha of candidates.keys()) {
      await db.remove(sha)
      removed.push(sha)
    }
  }
  for (const shard of goneShards) await db.deleteMeta(`part:${shard.part}`)
  // A shard's piece hashes, kept by its pages (torrent-file.ts), go with the last build listing it. Pages before manifest
  // version 2 kept its .torrent instead, which none reads now, kept build or not.
  const keptShards = new Set(kept.flatMap(m => m.shards.map(s => s.infoHash)))
  for (const { infoHash } of old.flatMap(m => m.shards)) {
    await db.deleteMeta(`torrent:${infoHash}`)
    if (!keptShards.has(infoHash)) await db.deleteMeta(piecesKey(infoHash))
  }
  for (const id of dropped) {
    await db.deleteMeta(BUILD_PREFIX + id)
    forgetBuild(id)
  }
  if (removed.length) await broadcast({ type: 'evicted', sha256: removed })
}
