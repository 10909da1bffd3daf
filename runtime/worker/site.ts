// The site as the worker knows it: the newest build (for navigations) and every older build an open page still
// uses, each a manifest with its shard parts, kept in memory and in the store so the worker can still answer with
// the origin down (and after the browser restarts it); the origin is asked for a new deploy now and then.
import {
  MANIFEST_FILE, MANIFEST_VERSION, findShard,
  type FileEntry, type Manifest, type ShardPart, type ShardRef
} from '../shared/manifest.ts'
import { manifestIntact, partIntact } from '../shared/integrity.ts'
import { isSitePath, type UrlRules } from '../shared/urls.ts'
import { config, scope } from './scope.ts'
import { noteHeaders, securityOf } from './site-headers.ts'
import { manifestStatus } from './step-aside.ts'
import { readMeta, writeMeta } from './storage.ts'

export interface Found {
  entry: FileEntry
  shard: ShardRef
  part: ShardPart
  /** The build the file was looked up in. */
  manifest: Manifest
}

/** Navigations look for a new deploy at most this often (a burst of clicks costs one request). */
const CHECK_INTERVAL = 3_000
/** A manifest request that takes longer has failed: checks must end (a navigation may be waiting for one). */
const MANIFEST_TIMEOUT = 10_000
/** Store keys: the newest manifest, which worker chose it, and every build an open page may still use. */
const NEWEST = 'manifest'
const NEWEST_BY = 'manifest-by'
export const BUILD_PREFIX = 'manifest:'

let newest: Manifest | undefined
const builds = new Map<string, Manifest>()
let loading: Promise<Manifest | undefined> | undefined
let checking: Promise<Manifest | undefined> | undefined
let lastCheck = 0
const parts = new Map<string, Promise<ShardPart | undefined>>()

/** The URL rules this deploy's manifest sets for the worker's origin and base. */
export function urlRules (manifest: Manifest): UrlRules {
  return {
    origin: scope.location.origin,
    base: config.base,
    ignoreSearchParams: manifest.settings.ignoreSearchParams,
    directoryIndex: manifest.routes.directoryIndex,
    extension: manifest.routes.extension
  }
}

/** The newest manifest if it is already in memory: lets the fetch handler decide synchronously. */
export function currentManifest (): Manifest | undefined {
  return newest
}

function isManifest (m: unknown): m is Manifest {
  const v = m as Manifest | undefined
  return !!v && v.version === MANIFEST_VERSION && v.base === config.base && Array.isArray(v.shards) &&
    v.shards.every(s => isSitePath(s.part))
}

/** The origin's manifest now, or undefined when the origin does not give a usable one. */
async function fetchManifest (): Promise<Manifest | undefined> {
  try {
    const res = await fetch(config.base + MANIFEST_FILE, { cache: 'no-cache', signal: AbortSignal.timeout(MANIFEST_TIMEOUT) })
    manifestStatus(res.status)
    const fresh: unknown = res.ok ? await res.json() : undefined
    if (!isManifest(fresh)) return undefined
    // The host's site-wide security headers (as nginx's add_header sends with every file), kept with the manifest
    // for files the build declares none for: a visitor gets them on pages from peers too.
    const seen = securityOf(res.headers)
    if (seen) fresh.seen = seen
    return fresh
  } catch {
    return undefined
  }
}

/** Keeps a build's manifest in memory and in the store, so pages pinned to it still work when it is no longer the newest. */
async function keepBuild (m: Manifest): Promise<void> {
  builds.set(m.buildId, m)
  await writeMeta(BUILD_PREFIX + m.buildId, m)
}

/** Makes `m` the build navigations get, and records that this worker chose it. */
async function adopt (m: Manifest): Promise<Manifest> {
  newest = m
  await keepBuild(m)
  await writeMeta(NEWEST, m)
  await writeMeta(NEWEST_BY, config.buildId)
  return m
}

/** The newest manifest: from memory, else the stored copy (when this worker chose it), else the origin. */
export function loadManifest (): Promise<Manifest | undefined> {
  if (newest) return Promise.resolve(newest)
  loading ??= (async () => {
    const kept = await readMeta<Manifest>(NEWEST)
    // A stored copy is used only if it is the build its id names (the store is writable by any same-origin script).
    const stored = isManifest(kept) && await manifestIntact(kept) ? kept : undefined
    const by = await readMeta<string>(NEWEST_BY)
    if (!stored || (config.buildId && stored.buildId !== config.buildId && by !== config.buildId)) {
      // The stored copy belongs to another deploy's worker (or is missing): the origin's is right; the old one beats nothing.
      const fresh = await fetchManifest()
      if (fresh) return adopt(fresh)
      if (!stored) return undefined
    }
    builds.set(stored.buildId, stored)
    return (newest = stored)
  })().finally(() => { loading = undefined })
  return loading
}

/** Build `id`'s manifest: memory, else the store. Undefined once the build is pruned. */
export async function loadBuild (id: string): Promise<Manifest | undefined> {
  const kept = await loadBuildStored(id)
  if (kept) return kept
  const n = await loadManifest()
  return n?.buildId === id ? n : undefined
}

/** Drops a pruned build from memory. */
export function forgetBuild (id: string): void {
  builds.delete(id)
}

/** A new worker fetches and keeps its own build's manifest while it installs, before it serves anything. */
export async function fetchOwnManifest (): Promise<Manifest | undefined> {
  const m = await fetchManifest()
  if (m) await keepBuild(m)
  return m
}

/** The activated worker's own build becomes the newest (the origin's, if it has an even newer one). */
export async function becomeNewest (): Promise<void> {
  const own = config.buildId ? await loadBuildStored(config.buildId) : undefined
  const m = own ?? await fetchManifest()
  if (m) await adopt(m)
}

/** Build `id`'s manifest from memory, else from the store (then kept in memory). */
async function loadBuildStored (id: string): Promise<Manifest | undefined> {
  const known = builds.get(id)
  if (known) return known
  const stored = await readMeta<Manifest>(BUILD_PREFIX + id)
  if (isManifest(stored) && stored.buildId === id && await manifestIntact(stored)) {
    builds.set(id, stored)
    return stored
  }
}

/** The check for a new deploy under way, if any: a navigation waits for it, so it gets the deploy it found. */
export function pendingCheck (): Promise<Manifest | undefined> | undefined {
  return checking
}

/**
 * Looks for a new deploy (at most once per CHECK_INTERVAL): on navigations, and when origin bytes do not match.
 * With `update: 'auto'` navigations get the new build at once; either way the browser is asked to fetch the new
 * worker once a page runs (which, with `update: 'prompt'`, waits for `planktos.update()`). Resolves with the newest
 * manifest.
 */
export function refreshManifest (): Promise<Manifest | undefined> {
  if (checking) return checking
  if (Date.now() - lastCheck < CHECK_INTERVAL) return loadManifest()
  lastCheck = Date.now()
  checking = (async () => {
    const [fresh, current] = await Promise.all([fetchManifest(), loadManifest()])
    if (!fresh || fresh.buildId === current?.buildId) return current
    // The new deploy's worker is asked for once a page runs (askUpdate), not while a navigation is being answered:
    // installed then, it takes over as the new page commits, before that page can learn of it, and Chromium sends
    // the page's requests to the network (docs/engine.md, "The new deploy's worker is asked for once a page runs").
    if (!updateDue) setTimeout(askUpdate, UPDATE_LATEST)
    updateDue = true
    return fresh.settings.update === 'prompt' && current ? current : adopt(fresh)
  })().finally(() => { checking = undefined })
  return checking
}

/** The latest the browser is asked for a new deploy's worker when no page says hello meanwhile (while this worker runs). */
const UPDATE_LATEST = 10_000
/** Whether a check found a new deploy whose worker the browser has not been asked for yet. */
let updateDue = false

/** Asks the browser for the new deploy's worker, if it is due. */
export function askUpdate (): void {
  if (!updateDue) return
  updateDue = false
  void scope.registration?.update().catch(() => {})
}

/** A shard's file list: memory, store, then the origin (its URL names its content, so any copy is right). */
export function loadPart (shard: ShardRef): Promise<ShardPart | undefined> {
  let part = parts.get(shard.part)
  if (!part) {
    part = (async () => {
      const key = `part:${shard.part}`
      let p = await readMeta<ShardPart>(key)
      if (p && !await partIntact(p, shard.part)) p = undefined
      if (!p) {
        const res = await fetch(config.base + shard.part)
        // The manifest names a part the origin no longer has: a deploy happened since it was read.
        if (res.status === 404) void refreshManifest()
        p = res.ok ? await res.json() as ShardPart : undefined
        if (p?.infoHash === shard.infoHash) await writeMeta(key, p)
      }
      // A part listing a path that could leave the site is refused whole: its shard is left to the origin.
      return p?.infoHash === shard.infoHash && p.version === MANIFEST_VERSION && p.files.every(f => isSitePath(f.path)) ? p : undefined
    })().catch(() => undefined)
    parts.set(shard.part, part)
    // A failure is not remembered: the origin may be back on the next request.
    void part.then(p => { if (!p) parts.delete(shard.part) })
  }
  return part
}

/** Whether the worker holds shard's part (in memory or in the store): using it costs the origin nothing. */
export const held = async (shard: ShardRef): Promise<boolean> => parts.has(shard.part) || !!await readMeta(`part:${shard.part}`)

const indexes = new WeakMap<ShardPart, Map<string, FileEntry>>()

/** A part's files by path (the contract fixes their order by offset, not by name). */
function byPath (part: ShardPart): Map<string, FileEntry> {
  let index = indexes.get(part)
  if (!index) indexes.set(part, index = new Map(part.files.map(f => [f.path, f])))
  return index
}

/** Build `manifest`'s entry for `path` (the newest build by default) with its shard and part, or undefined when it has no such file. */
export async function lookup (path: string, manifest?: Manifest): Promise<Found | undefined> {
  const m = manifest ?? await loadManifest()
  const shard = m && findShard(m, path)
  const part = shard && await loadPart(shard)
  const entry = part && byPath(part).get(path)
  if (!entry || !shard || !m) return undefined
  noteHeaders(entry, part, m)
  return { entry, shard, part, manifest: m }
}
