// Prefetch (runs in the page; setting `prefetch`): once the page is idle, fetch the rest of the site's pages
// (`pages`: every HTML file and what it references) or every file (`all`) into the store, so the visitor can
// browse offline and seeds more. Peers first: pieces are selected at a lower priority than any request the
// worker makes, and the origin's web seed supplies what no peer has. Within `prefetchBudget` and without
// pushing the store past `maxStorage` (prefetch never evicts what the visitor actually read). Stops on pagehide.
import type { Torrent } from 'webtorrent/dist/webtorrent.min.js'
import { sha256 } from '../shared/hash.ts'
import { merge, piecesOf } from '../shared/layout.ts'
import type { FileEntry, Manifest, ShardRef } from '../shared/manifest.ts'
import type { DownloaderStats } from '../shared/messages.ts'
import type { Store } from '../shared/store.ts'
import { fileUrl, sitePath } from '../shared/urls.ts'
import { listen } from './listeners.ts'
import { loadPart } from './site-files.ts'
import type { Joined, Swarm } from './swarm.ts'
import { deselectPieces, selectPieces } from './webtorrent-internals.ts'

/** Store key of the bytes prefetch stored for a deploy, over every page load: the budget is the visitor's, not a page's. */
const SPENT = 'prefetch-spent'
interface Spent { buildId: string, bytes: number }

/** Silence from every source after which prefetch gives up (the origin is down and no peer has the pieces). */
const STALL = 30_000
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'

export interface PrefetchEnv {
  manifest: Manifest
  base: string
  store: Store
  /** The swarm while peer-to-peer is on; without one, files come through the worker (store, then origin). */
  swarm: () => Swarm | undefined
  /** `prefetch` in it is updated as files arrive; verification failures are counted too. */
  stats: DownloaderStats
  onChange: () => void
}

interface Wanted {
  entry: FileEntry
  shard: ShardRef
}

/** Starts prefetching once the page is idle; returns the function that stops it. */
export function startPrefetch (env: PrefetchEnv): () => void {
  const abort = new AbortController()
  const progress = env.stats.prefetch
  progress.state = 'waiting'
  void run(env, abort.signal).then(
    (finished) => { progress.state = finished && !abort.signal.aborted ? 'done' : 'stopped' },
    () => { progress.state = 'stopped' }
  ).finally(env.onChange)
  return () => abort.abort()
}

/** Resolves true when every planned file was tried, false when prefetch stopped early. */
async function run (env: PrefetchEnv, signal: AbortSignal): Promise<boolean> {
  await idle(signal)
  if (signal.aborted) return false
  env.stats.prefetch.state = 'running'
  env.onChange()
  const plan = await planFiles(env, signal)
  for (const [infoHash, files] of groupByShard(plan)) {
    await idle(signal)
    if (signal.aborted) return false
    // The worker may have stored some meanwhile (the visitor's own browsing), and another tab may have prefetched.
    const missing = withinBudget(await missingOnly(files, env.store), env.manifest.settings.prefetchBudget - await spent(env))
    if (missing.length === 0) continue
    const joined = await env.swarm()?.join(infoHash)
    if (joined) await peersOrAlone(joined, env.manifest.settings.peerTimeout, signal)
    const ok = joined ? await viaSwarm(joined, missing, env, signal) : await viaWorker(missing, env, signal)
    if (!ok) return false
  }
  return true
}

/** The page has loaded and the browser has nothing more urgent to do. */
async function idle (signal: AbortSignal): Promise<void> {
  if (document.readyState !== 'complete') await new Promise(resolve => addEventListener('load', resolve, { once: true }))
  await new Promise<void>(resolve => {
    if ('requestIdleCallback' in window) requestIdleCallback(() => resolve())
    else setTimeout(resolve, 1000)
    signal.addEventListener('abort', () => resolve(), { once: true })
  })
}

const isPage = (entry: FileEntry): boolean => entry.type.startsWith('text/html')

/** The files to fetch, in order (pages, each followed by its subresources; then, for `all`, the rest), within budget. */
async function planFiles ({ manifest, base, store }: PrefetchEnv, signal: AbortSignal): Promise<Wanted[]> {
  const byPath = new Map<string, Wanted>()
  const pages: FileEntry[] = []
  for (const shard of manifest.shards) {
    if (signal.aborted) return []
    const part = await loadPart(base, shard, store).catch(() => undefined)
    for (const entry of part?.files ?? []) {
      byPath.set(entry.path, { entry, shard })
      if (isPage(entry)) pages.push(entry)
    }
  }
  const order = pages.flatMap(p => [p.path, ...p.deps ?? []])
  if (manifest.settings.prefetch === 'all') order.push(...byPath.keys())
  const here = loadedHere(manifest, base)

  const records = await store.records()
  const have = new Set(records.filter(r => r.complete).map(r => r.sha256))
  const used = records.reduce((n, r) => n + r.bytes, 0)
  let left = Math.min(manifest.settings.prefetchBudget - await spent({ manifest, store }), manifest.settings.maxStorage - used)
  const out: Wanted[] = []
  for (const path of order) {
    const wanted = byPath.get(path)
    if (!wanted || here.has(path) || have.has(wanted.entry.sha256) || wanted.entry.size > left) continue
    // The same bytes under two names are stored once.
    have.add(wanted.entry.sha256)
    left -= wanted.entry.size
    out.push(wanted)
  }
  return out
}

/**
 * The site files this page loaded: the worker stored them already, or is storing them from the HTTP cache (a first
 * page, loaded before the worker controlled it, lists them in its `seen` message), so fetching them again is waste.
 */
function loadedHere (manifest: Manifest, base: string): Set<string> {
  const rules = { origin: location.origin, base, ignoreSearchParams: manifest.settings.ignoreSearchParams, directoryIndex: manifest.routes.directoryIndex }
  const urls = [location.href, ...performance.getEntriesByType('resource').map(e => e.name)]
  return new Set(urls.map(url => sitePath(url, 'GET', rules)).filter(path => path !== null))
}

function groupByShard (plan: Wanted[]): Map<string, FileEntry[]> {
  const groups = new Map<string, FileEntry[]>()
  for (const { entry, shard } of plan) {
    let list = groups.get(shard.infoHash)
    if (!list) groups.set(shard.infoHash, list = [])
    list.push(entry)
  }
  return groups
}

/** Bytes prefetch stored for this deploy so far, on any page. */
async function spent ({ manifest, store }: Pick<PrefetchEnv, 'manifest' | 'store'>): Promise<number> {
  const s = await store.getMeta<Spent>(SPENT).catch(() => undefined)
  return s?.buildId === manifest.buildId ? s.bytes : 0
}

/** Counts `bytes` more against the budget (one transaction: tabs may prefetch at once). */
async function spend ({ manifest, store, stats, onChange }: PrefetchEnv, bytes: number): Promise<void> {
  stats.prefetch.files++
  stats.prefetch.bytes += bytes
  onChange()
  await store.updateMeta<Spent>(SPENT, s => ({ buildId: manifest.buildId, bytes: (s?.buildId === manifest.buildId ? s.bytes : 0) + bytes }))
}

/** The first files of `files` whose sizes add up to at most `room` (smaller ones further on still fit). */
function withinBudget (files: FileEntry[], room: number): FileEntry[] {
  return files.filter(f => {
    if (f.size > room) return false
    room -= f.size
    return true
  })
}

async function missingOnly (files: FileEntry[], store: Store): Promise<FileEntry[]> {
  const out: FileEntry[] = []
  for (const f of files) if (!(await store.record(f.sha256).catch(() => undefined))?.complete) out.push(f)
  return out
}

/**
 * Waits until the shard has a peer, a tracker said nobody else is there, or `ms` passed: selecting pieces
 * before peers are found would hand them all to the web seed, which declines only what a connected peer has.
 */
function peersOrAlone (joined: Joined, ms: number, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + ms
  return new Promise(resolve => {
    const check = (): void => {
      const { torrent } = joined
      if (joined.alone || signal.aborted || torrent.destroyed || Date.now() >= deadline || torrent.wires.some(w => w.type !== 'webSeed')) return resolve()
      setTimeout(check, 100)
    }
    check()
  })
}

const hasPieces = (torrent: Torrent, [first, last]: [number, number]): boolean => {
  for (let i = first; i <= last; i++) if (!torrent.bitfield.get(i)) return false
  return true
}

/**
 * Fetches `files` of one joined shard: selects their pieces (merged into runs) at priority 0, and stores each file
 * as complete once its pieces are verified and the whole file matches its SHA-256. False on a stall or a stop.
 */
function viaSwarm ({ torrent }: Joined, files: FileEntry[], env: PrefetchEnv, signal: AbortSignal): Promise<boolean> {
  const pending = new Map<FileEntry, [number, number]>()
  let checks = Promise.resolve()
  for (const f of files) {
    const range = piecesOf(f, torrent.pieceLength)
    if (range) pending.set(f, range)
    else checks = checks.then(() => complete(f, env))
  }
  const runs = merge([...pending.values()].map(([a, b]) => [a, b + 1])).map(([a, b]): [number, number] => [a, b - 1])
  return new Promise(resolve => {
    let timer = setTimeout(() => finish(false), STALL)
    const stops: Array<() => void> = []
    const alive = (): void => {
      clearTimeout(timer)
      timer = setTimeout(() => finish(false), STALL)
    }
    const check = (): void => {
      for (const [f, range] of pending) {
        if (!hasPieces(torrent, range)) continue
        pending.delete(f)
        checks = checks.then(() => complete(f, env))
      }
      if (pending.size === 0) finish(true)
    }
    const onVerified = (): void => {
      alive()
      check()
    }
    const finish = (ok: boolean): void => {
      clearTimeout(timer)
      for (const stop of stops) stop()
      signal.removeEventListener('abort', onAbort)
      // Completed runs were dropped by WebTorrent; the others are dropped here (selections are counted).
      if (!torrent.destroyed) for (const run of runs) if (!hasPieces(torrent, run)) deselectPieces(torrent, run[0], run[1])
      void checks.then(() => resolve(ok))
    }
    const onAbort = (): void => finish(false)
    signal.addEventListener('abort', onAbort)
    // Peer-to-peer withdrawn: the swarm is gone ('close').
    stops.push(listen(torrent, 'verified', onVerified), listen(torrent, 'download', alive), listen(torrent, 'close', onAbort))
    if (torrent.destroyed) return finish(false)
    for (const [first, last] of runs) if (!hasPieces(torrent, [first, last])) selectPieces(torrent, first, last, 0)
    check()
  })
}

/** A file whose pieces are all verified: checked as a whole, then marked complete so the worker answers from it. */
async function complete (file: FileEntry, env: PrefetchEnv): Promise<void> {
  const { store, stats } = env
  if (file.size === 0) {
    if (file.sha256 === EMPTY_SHA256) await store.putFile(file.sha256, new Uint8Array(0)).catch(() => {})
    return
  }
  const bytes = await store.read(file.sha256, 0, file.size).catch(() => undefined)
  // Missing bytes: the store refused them (quota); the chunk store kept the pieces in memory for the peers only.
  if (!bytes) return
  if (await sha256(bytes) !== file.sha256) {
    stats.verifyFailures++
    return
  }
  await store.markComplete(file.sha256).catch(() => {})
  await spend(env, file.size).catch(() => {})
}

/** Without peer-to-peer, asks the worker for each file: it fetches, verifies and stores it like any page request. */
async function viaWorker (files: FileEntry[], env: PrefetchEnv, signal: AbortSignal): Promise<boolean> {
  // An uncontrolled page's requests would go straight to the network and store nothing.
  if (!navigator.serviceWorker?.controller) return false
  for (const file of files) {
    if (signal.aborted) return false
    try {
      const res = await fetch(fileUrl(env.base, file.path), { signal, priority: 'low', credentials: 'same-origin' } as RequestInit)
      const body = await res.arrayBuffer()
      if (!res.ok) return false
      if (body.byteLength === file.size) await spend(env, file.size).catch(() => {})
    } catch {
      return false
    }
  }
  return true
}
