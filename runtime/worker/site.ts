// The site as the worker knows it: the manifest and the shard parts, kept in memory and in the store so the
// worker can still answer with the origin down, and refreshed from the origin when a deploy is suspected.
import {
  MANIFEST_FILE, MANIFEST_VERSION, findShard,
  type FileEntry, type Manifest, type ShardPart, type ShardRef
} from '../shared/manifest.ts'
import { isSitePath, type UrlRules } from '../shared/urls.ts'
import { config, scope } from './scope.ts'
import { store } from './storage.ts'

export interface Found {
  entry: FileEntry
  shard: ShardRef
  part: ShardPart
}

const REFRESH_INTERVAL = 30_000

let manifest: Manifest | undefined
let loading: Promise<Manifest | undefined> | undefined
let lastRefresh = 0
const parts = new Map<string, Promise<ShardPart | undefined>>()

/** The URL rules this deploy's manifest sets for the worker's origin and base. */
export function urlRules (manifest: Manifest): UrlRules {
  return {
    origin: scope.location.origin,
    base: config.base,
    ignoreSearchParams: manifest.settings.ignoreSearchParams,
    directoryIndex: manifest.routes.directoryIndex
  }
}

/** The manifest if it is already in memory: lets the fetch handler decide synchronously. */
export function currentManifest (): Manifest | undefined {
  return manifest
}

function isManifest (m: unknown): m is Manifest {
  const v = m as Manifest | undefined
  return !!v && v.version === MANIFEST_VERSION && v.base === config.base && Array.isArray(v.shards) &&
    v.shards.every(s => isSitePath(s.part) && isSitePath(s.torrent))
}

/** The manifest: from memory, else the stored copy (when it is this deploy's), else the origin. */
export function loadManifest (): Promise<Manifest | undefined> {
  if (manifest) return Promise.resolve(manifest)
  loading ??= (async () => {
    const stored = await (await store())?.getMeta<Manifest>('manifest').catch(() => undefined)
    if (isManifest(stored) && (!config.buildId || stored.buildId === config.buildId)) return (manifest = stored)
    // The stored copy belongs to another deploy (or is missing): the origin's is right; the old one beats nothing.
    return (await refreshManifest(true)) ?? (isManifest(stored) ? (manifest = stored) : undefined)
  })().finally(() => { loading = undefined })
  return loading
}

/**
 * Fetches the manifest from the origin and keeps it. Unforced refreshes (a suspected deploy) happen at most
 * once per interval, so a burst of mismatching files costs one request.
 */
export async function refreshManifest (force = false): Promise<Manifest | undefined> {
  if (!force) {
    if (Date.now() - lastRefresh < REFRESH_INTERVAL) return manifest
    lastRefresh = Date.now()
  }
  let fresh: unknown
  try {
    const res = await fetch(config.base + MANIFEST_FILE, { cache: 'no-cache' })
    if (!res.ok) return undefined
    fresh = await res.json()
  } catch {
    return undefined
  }
  if (!isManifest(fresh)) return undefined
  manifest = fresh
  await (await store())?.setMeta('manifest', fresh).catch(() => {})
  return fresh
}

/** A shard's file list: memory, store, then the origin (its URL names its content, so any copy is right). */
function loadPart (shard: ShardRef): Promise<ShardPart | undefined> {
  let part = parts.get(shard.part)
  if (!part) {
    part = (async () => {
      const db = await store()
      const key = `part:${shard.part}`
      let p = await db?.getMeta<ShardPart>(key).catch(() => undefined)
      if (!p) {
        const res = await fetch(config.base + shard.part)
        if (!res.ok) {
          // The manifest names a part the origin no longer has: a deploy happened since it was read.
          if (res.status === 404) void refreshManifest()
          throw new Error(`${shard.part}: HTTP ${res.status}`)
        }
        p = await res.json() as ShardPart
        if (p.infoHash === shard.infoHash) await db?.setMeta(key, p).catch(() => {})
      }
      // A part listing a path that could leave the site is refused whole: its shard is left to the origin.
      return p.infoHash === shard.infoHash && p.version === MANIFEST_VERSION && p.files.every(f => isSitePath(f.path)) ? p : undefined
    })().catch(() => undefined)
    parts.set(shard.part, part)
    // A failure is not remembered: the origin may be back on the next request.
    void part.then(p => { if (!p) parts.delete(shard.part) })
  }
  return part
}

const indexes = new WeakMap<ShardPart, Map<string, FileEntry>>()

/** A part's files by path (the contract fixes their order by offset, not by name). */
function byPath (part: ShardPart): Map<string, FileEntry> {
  let index = indexes.get(part)
  if (!index) indexes.set(part, index = new Map(part.files.map(f => [f.path, f])))
  return index
}

/** The manifest's entry for `path` with its shard and part, or undefined when the site has no such file. */
export async function lookup (path: string): Promise<Found | undefined> {
  const m = await loadManifest()
  const shard = m && findShard(m, path)
  const part = shard && await loadPart(shard)
  const entry = part && byPath(part).get(path)
  return entry && shard ? { entry, shard, part } : undefined
}
