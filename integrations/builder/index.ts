// build(): packs a finished output folder into torrents, a manifest and the browser runtime, all or nothing.
import { performance } from 'node:perf_hooks'
import { resolve } from 'node:path'
import { DOWNLOADER_FILE, INSTALL_FILE, OVERLAY_FILE, PLANKTOS_DIR, WORKER_FILE, piecesFile, type FileEntry, type Manifest } from '../../runtime/shared/manifest.ts'
import { normalizeOptions, runtimeSettings, type NormalizedOptions, type Options } from '../options.ts'
import { contentType } from './content-type.ts'
import { BuildError } from './errors.ts'
import { hashAll } from './hash-pool.ts'
import { assembleManifest, type ShardBuild } from './manifest.ts'
import { processPages } from './pages.ts'
import { readRuntime, runtimeDigests, workerSource } from './runtime-files.ts'
import { pieceLengthFor, planShards } from './shard.ts'
import { Stage } from './stage.ts'
import { encodeTorrent, webSeedLayout } from './torrent.ts'
import { assertFolder, walk } from './walk.ts'
import { assertNoForeignFiles } from './own-files.ts'
import { headersFor, readHeaderRules } from './host-headers.ts'

export { BuildError } from './errors.ts'

export interface ShardSummary { infoHash: string, files: number, bytes: number, pieceLength: number, torrent: string }

export interface BuildStats {
  files: number
  bytes: number
  shards: number
  pages: number
  injected: number
  /** Bytes planktos adds to the site: torrents, manifest, runtime. */
  overheadBytes: number
  ms: number
}

export interface BuildResult {
  /** Null for a kill-switch build, which ships no manifest. */
  manifest: Manifest | null
  shards: ShardSummary[]
  warnings: string[]
  stats: BuildStats
  options: NormalizedOptions
}

export type BuildPhase = 'scan' | 'pages' | 'hash' | 'write'
export interface BuildProgress { phase: BuildPhase, done: number, total: number }

export interface BuildHooks {
  /** Aborting rolls the folder back to what it was; the promise rejects with the signal's reason. */
  signal?: AbortSignal
  onProgress?: (progress: BuildProgress) => void
  /** Options already normalized by an adapter (skips normalizeOptions). */
  normalized?: NormalizedOptions
}

// Pagefind (Starlight's search, and many other sites') asks for its entry file with `?ts=<now>` to skip the HTTP
// cache; the file the manifest holds is the deployed one the parameter is trying to reach, so `ts` can be ignored.
const PAGEFIND_ENTRY = /(^|\/)pagefind\/pagefind-entry\.json$/

function withCacheBusters (opts: NormalizedOptions, files: Array<{ path: string }>): NormalizedOptions {
  if (opts.ignoreSearchParams.includes('ts') || !files.some(f => PAGEFIND_ENTRY.test(f.path))) return opts
  return { ...opts, ignoreSearchParams: [...opts.ignoreSearchParams, 'ts'] }
}

/** Packs the site in `dir`; never prints, returns what happened. */
export async function build (dir: string, options: Options = {}, hooks: BuildHooks = {}): Promise<BuildResult> {
  const started = performance.now()
  const opts = hooks.normalized ?? normalizeOptions(options)
  const { signal, onProgress = () => {} } = hooks
  const root = resolve(dir)
  signal?.throwIfAborted()

  onProgress({ phase: 'scan', done: 0, total: 0 })
  await assertFolder(root)
  const runtime = await readRuntime()
  assertNoForeignFiles(root)
  // Recovery comes first: a killed run may have moved some of the site's files aside.
  const stage = new Stage(root)
  const { recovered } = await stage.open()
  const { files, warnings } = await walk(root, opts.include, opts.exclude).catch(async err => {
    await stage.discard()
    throw err
  })
  if (recovered) warnings.unshift('A previous build was interrupted while replacing files; planktos restored the folder before building.')

  try {
    // planktos' own files go to the staging folder as soon as they exist, so a large site's torrents and
    // manifest parts are never all in memory at once; nothing reaches the site before the commit.
    let overheadBytes = 0
    let written = 0
    const writes: Array<Promise<unknown>> = []
    const stageFile = (path: string, data: Uint8Array | string): void => {
      const write = stage.write(path, data, !path.startsWith(PLANKTOS_DIR))
      // Handled here so a failure is not reported as unhandled before the Promise.all below sees it.
      write.catch(() => {})
      writes.push(write)
      overheadBytes += typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength
      written++
    }
    let manifest: Manifest | null = null
    const shards: ShardSummary[] = []
    let pages = 0
    let injected = 0

    if (opts.killSwitch) {
      // A kill-switch build ships the worker that removes planktos, and an install.js that removes it too instead of
      // registering the worker. Pages are left as they are: a page still tagged (from an earlier build, from a cache,
      // or by the site itself with inject: false) then removes planktos on load rather than reinstalling it.
      stageFile(WORKER_FILE, workerSource(runtime.worker, { buildId: 'kill-switch', base: opts.base, killSwitch: true }))
      stageFile(INSTALL_FILE, runtime.remove)
    } else {
      onProgress({ phase: 'pages', done: 0, total: files.length })
      const installSrc = opts.inject ? `${opts.base}${INSTALL_FILE}` : null
      const pageResult = await processPages(files, { root, base: opts.base, installSrc, stage, signal })
      warnings.push(...pageResult.warnings)
      pages = pageResult.deps.size
      injected = pageResult.injected

      const plan = planShards(files, opts.shardSize)
      const jobs = plan.map((indices, id) => {
        const shardFiles = indices.map(i => files[i]!)
        return { id, pieceLength: pieceLengthFor(shardFiles.reduce((s, f) => s + f.size, 0), shardFiles.length), files: shardFiles }
      })
      const totalBytes = files.reduce((s, f) => s + f.size, 0)
      let hashed = 0
      onProgress({ phase: 'hash', done: 0, total: totalBytes })
      const hashes = await hashAll(jobs, root, { signal, onBytes: n => onProgress({ phase: 'hash', done: (hashed += n), total: totalBytes }) })

      const headerRules = await readHeaderRules(root, opts.headers)
      warnings.push(...headerRules.warnings)
      const securityHeaders = headersFor(headerRules.rules, opts.cleanUrls)
      const layout = webSeedLayout(opts.base, opts.site)
      const shardBuilds: ShardBuild[] = jobs.map((job, id) => {
        const { pieces, sha256 } = hashes[id]!
        const torrent = encodeTorrent({ ...layout, pieceLength: job.pieceLength, pieces, files: job.files, announce: opts.announce, trackersPerShard: opts.trackersPerShard })
        let offset = 0
        // Each distinct set once per part, by index: a site-wide policy is not repeated for every file.
        const sets: Array<Record<string, string>> = []
        const setIndex = new Map<string, number>()
        const entries: FileEntry[] = job.files.map((f, i) => {
          const entry: FileEntry = { path: f.path, size: f.size, sha256: sha256[i]!, type: contentType(f.path), offset }
          const deps = pageResult.deps.get(f.path)
          if (deps?.length) entry.deps = deps
          const headers = securityHeaders(f.path)
          if (headers) {
            const key = JSON.stringify(headers)
            if (!setIndex.has(key)) setIndex.set(key, sets.push(headers) - 1)
            entry.headers = setIndex.get(key)!
          }
          offset += f.size
          return entry
        })
        stageFile(`${PLANKTOS_DIR}t/${torrent.infoHash}.torrent`, torrent.bytes)
        // Not in the part: every worker that reads a file of the shard fetches the part, and never needs the hashes.
        stageFile(piecesFile(torrent.infoHash), pieces)
        shards.push({ infoHash: torrent.infoHash, files: job.files.length, bytes: offset, pieceLength: job.pieceLength, torrent: `${opts.base}${PLANKTOS_DIR}t/${torrent.infoHash}.torrent` })
        return { infoHash: torrent.infoHash, name: layout.name, pieceLength: job.pieceLength, files: entries, headers: sets }
      })

      manifest = assembleManifest({
        base: opts.base,
        site: opts.site,
        settings: runtimeSettings(withCacheBusters(opts, files)),
        shards: shardBuilds,
        notFound: files.some(f => f.path === '404.html') ? '404.html' : null,
        cleanUrls: opts.cleanUrls,
        write: stageFile
      })
      stageFile(INSTALL_FILE, runtime.install)
      stageFile(DOWNLOADER_FILE, runtime.downloader)
      stageFile(OVERLAY_FILE, runtime.overlay)
      const digests = runtimeDigests({ [INSTALL_FILE]: runtime.install, [DOWNLOADER_FILE]: runtime.downloader })
      stageFile(WORKER_FILE, workerSource(runtime.worker, { buildId: manifest.buildId, base: opts.base, killSwitch: false, runtime: digests }))
    }

    signal?.throwIfAborted()
    onProgress({ phase: 'write', done: 0, total: written })
    await Promise.all(writes)
    // The planktos folder is replaced as a whole, so files of an older build never linger (after a kill switch,
    // only install.js is left: the manifest's absence stops any page that still runs an old downloader).
    stage.track(PLANKTOS_DIR.slice(0, -1))
    await stage.commit(signal)

    return {
      manifest,
      shards,
      warnings,
      options: opts,
      stats: {
        files: files.length,
        bytes: files.reduce((s, f) => s + f.size, 0),
        shards: shards.length,
        pages,
        injected,
        overheadBytes,
        ms: Math.round(performance.now() - started)
      }
    }
  } catch (err) {
    await stage.discard()
    if (err instanceof BuildError || signal?.aborted) throw err
    throw new BuildError(`planktos could not build "${root}": ${(err as Error)?.message || String(err)}`, { cause: err })
  }
}
