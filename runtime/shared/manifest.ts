// The manifest format: one definition for the builder (which writes it) and the runtime (which reads it).
// Runs everywhere: types and pure functions only, no DOM and no Node.

/** Bumped on any incompatible change; the runtime ignores manifests of another version. */
export const MANIFEST_VERSION = 2

/** Where planktos writes its files, relative to the site's base. */
export const PLANKTOS_DIR = 'planktos/'
/** The service worker sits at the base itself: a static host cannot send Service-Worker-Allowed. */
export const WORKER_FILE = 'planktos-sw.js'
export const MANIFEST_FILE = 'planktos/manifest.json'
export const INSTALL_FILE = 'planktos/install.js'
export const DOWNLOADER_FILE = 'planktos/downloader.js'
/** A shard's piece hashes (SHA-1, 20 bytes each, in order), raw: the one part of its torrent a worker never needs. */
export const piecesFile = (infoHash: string): string => `${PLANKTOS_DIR}t/${infoHash}.pieces`
/** The debug overlay, imported by the downloader only when asked for: most visitors never see it. */
export const OVERLAY_FILE = 'planktos/overlay.js'

/** Settings the runtime reads; copied from the build options. */
export interface RuntimeSettings {
  announce: string[]
  /** Trackers of `announce` each shard announces to (see trackers.ts); absent in manifests built before it existed. */
  trackersPerShard: number
  rtcConfig: { iceServers?: Array<{ urls: string | string[], username?: string, credential?: string }>, [key: string]: unknown }
  peerTimeout: number
  prefetch: 'none' | 'pages' | 'all'
  prefetchBudget: number
  maxStorage: number
  update: 'auto' | 'prompt'
  p2p: 'auto' | 'opt-in'
  ignoreSearchParams: string[]
  debug: boolean
  persist: boolean
}

/** The root index at `<base>planktos/manifest.json`: small, O(shards), fetched by every visitor. */
export interface Manifest {
  version: typeof MANIFEST_VERSION
  /** SHA-256 (hex) of this manifest's other fields: identical input gives an identical id. */
  buildId: string
  /** URL path the site is served under, with a leading and trailing slash. */
  base: string
  /** Absolute origin given at build time (`site` option), if any. */
  site: string | null
  settings: RuntimeSettings
  /** How URL paths map to files (see `siteRoutes` in urls.ts). */
  routes: Routes
  /** The site's 404 page (a path relative to base), served for unknown in-scope URLs when the origin is down. */
  notFound: string | null
  shards: ShardRef[]
  /**
   * Never written by the builder: the security headers the origin sent with this manifest (the host's site-wide
   * ones, as nginx's `add_header` gives every file), recorded by the worker that fetched it. See docs/security.md.
   */
  seen?: Record<string, string>
}

/** How URL paths map to files; a URL naming a folder without its slash is redirected to it, as static hosts do. */
export interface Routes {
  /** The file a URL ending in `/` means: `about/` -> `about/index.html`. */
  directoryIndex: string
  /** Set for sites built with `cleanUrls`: `/about` is served from `about.html` when the site has no file `about`. */
  extension?: string
}

export interface ShardRef {
  /** BitTorrent v1 infohash, hex. */
  infoHash: string
  /** The .torrent file, relative to base, for other BitTorrent clients (pages rebuild it from the part and
   * `<base>planktos/t/<infohash>.pieces`). Named by infohash, so unchanged shards keep their URL across deploys. */
  torrent: string
  /** The shard's file list, relative to base. Named by a hash of its content. */
  part: string
  /** Total bytes of the shard's files. */
  size: number
  /** Number of files. */
  files: number
  /** Bytes of its largest file: below WAKE_FROM (worker/peers-help.ts), the worker needs no part for a late script,
   * style, font or image of the shard. Absent in manifests written before it existed. */
  largest?: number
  /** First and last file path of the shard, in path order: a path is in at most one shard's range. */
  first: string
  last: string
}

/** A shard's file list at `<base>planktos/p/<hash>.json`, fetched when one of its files is needed. */
export interface ShardPart {
  version: typeof MANIFEST_VERSION
  infoHash: string
  /** The torrent's name (BEP19 web seeds append it to their URL). With `pieceLength`, the files' paths and sizes and
   * the piece hashes (piecesFile) it makes the torrent's info dictionary, so a page needs no .torrent file. */
  name: string
  pieceLength: number
  files: FileEntry[]
  /** The distinct sets of security headers the build declares for files of this shard (see FileEntry.headers). */
  headers?: Array<Record<string, string>>
}

export interface FileEntry {
  /** File path relative to base, `/`-separated, exactly the file's name on disk (not percent-encoded, not normalised). */
  path: string
  size: number
  /** SHA-256 of the bytes, hex. */
  sha256: string
  /** Content-Type the origin is expected to send. */
  type: string
  /** Byte offset of the file within its torrent (files are laid end to end, no padding). */
  offset: number
  /** For HTML pages: the static subresources the page references (paths relative to base, in this manifest). */
  deps?: string[]
  /** Index into the part's `headers`: the security headers the origin sends with this file, known at build time. */
  headers?: number
}

/**
 * The response headers that carry a site's security policy (lower case). A worker's answer carries them as the
 * origin would; other headers (caching, cookies) are the worker's business or not allowed on its answers.
 */
export const SECURITY_HEADERS = [
  'content-security-policy', 'content-security-policy-report-only', 'x-frame-options', 'referrer-policy',
  'permissions-policy', 'cross-origin-opener-policy', 'cross-origin-embedder-policy', 'cross-origin-resource-policy',
  'x-content-type-options', 'origin-agent-cluster', 'reporting-endpoints', 'document-policy', 'x-permitted-cross-domain-policies'
]

/** Compares paths the way the builder sorts them: by UTF-16 code units, the same in every JS engine. */
export function comparePaths (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** The shard whose path range holds `path`, if any; the caller still checks the part for the exact file. */
export function findShard (manifest: Manifest, path: string): ShardRef | undefined {
  // Single-file shards (large files) have first === last and may sit inside another shard's range: exact matches first.
  for (const shard of manifest.shards) if (shard.first === path) return shard
  for (const shard of manifest.shards) {
    if (comparePaths(shard.first, path) <= 0 && comparePaths(path, shard.last) <= 0 && shard.first !== shard.last) return shard
  }
  return undefined
}
