// Small stored site files kept in the worker's memory once read and verified (stylesheets, scripts, icons: what every
// page reads), in a browser without WebRTC only (sources.ts). WebKit holds up the worker's IndexedDB reads for
// hundreds of ms while a page with a media element loads (docs/browsers.md); from memory such a page gets them at
// once. Keyed by SHA-256 and filled only with bytes that matched it, so a page pinned to any build gets exactly its
// build's file.

/** Larger files are read from the store; with HOT_FILES this bounds the memory to 2 MB. */
const HOT_SIZE = 64 << 10
const HOT_FILES = 32
const hot = new Map<string, Uint8Array>()

/** The verified bytes of the file with this SHA-256, if in memory. */
export const hotFile = (sha256: string): Uint8Array | undefined => hot.get(sha256)

/** Keeps verified `bytes` in memory if small, dropping the file kept longest ago when full. */
export function keepHot (sha256: string, bytes: Uint8Array): void {
  if (bytes.length > HOT_SIZE) return
  hot.delete(sha256)
  hot.set(sha256, bytes)
  if (hot.size > HOT_FILES) hot.delete(hot.keys().next().value!)
}

/** The file was evicted from the store: a page gets it from the origin (or peers) as the storage budget says. */
export const dropHot = (sha256: string): unknown => hot.delete(sha256)
