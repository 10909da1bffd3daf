// A service worker's global scope in Node, enough for the worker's decisions to run in unit tests: an in-memory
// IndexedDB (fake-indexeddb), `location`, `registration`, `clients` (the open pages, set by the test, which may script
// what a page answers), and a fetch that answers as the origin with the builds and files the test deploys. Import it
// before any runtime/worker module.
import 'fake-indexeddb/auto'
import { MANIFEST_FILE, MANIFEST_VERSION, type FileEntry, type Manifest, type ShardPart } from '../../runtime/shared/manifest.ts'

export const ORIGIN = 'https://site.test'

/**
 * What the fake origin serves: its current manifest, every part by path, and site files by path, each with the
 * headers `headers` names for it (`fetched` lists the site files asked for, in order).
 */
export const origin: { manifest: Manifest | undefined, parts: Map<string, ShardPart>, files: Map<string, Uint8Array>, headers: Map<string, Record<string, string>>, fetched: string[], up: boolean } =
  { manifest: undefined, parts: new Map(), files: new Map(), headers: new Map(), fetched: [], up: true }
/** Ids of the pages the worker controls now. */
export const openPages = new Set<string>()
/** What an open page does with a message the worker posts to it (by page id; none: the message is dropped). */
export const pageScripts = new Map<string, (message: unknown, transfer: readonly unknown[]) => void>()

const client = (id: string): object => ({ id, url: `${ORIGIN}/`, type: 'window', postMessage: (m: unknown, t: unknown[] = []) => pageScripts.get(id)?.(m, t) })

const g = globalThis as Record<string, unknown>
// A worker's timers do not keep it running, and one of a minute or more (its limits: EVENT_MAX, the takeover hold)
// never fires in a unit test: such a timer must not keep the test's process running minutes after its last test.
const plainTimeout = globalThis.setTimeout
g.setTimeout = ((run: () => void, ms?: number, ...args: unknown[]) => {
  const timer = plainTimeout(run, ms, ...args)
  if ((ms ?? 0) >= 60_000) timer.unref()
  return timer
}) as typeof setTimeout
g.location = new URL(`${ORIGIN}/`)
g.registration = { scope: `${ORIGIN}/`, update: async () => {} }
g.clients = {
  matchAll: async () => [...openPages].map(client),
  get: async (id: string) => openPages.has(id) ? client(id) : undefined,
  claim: async () => {}
}
g.fetch = async (input: string | URL | Request): Promise<Response> => {
  const path = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url, ORIGIN).pathname.slice(1)
  if (!origin.up) throw new TypeError('the origin is down')
  if (path === MANIFEST_FILE && origin.manifest) return Response.json(origin.manifest)
  const file = origin.files.get(path)
  if (file) {
    origin.fetched.push(path)
    return new Response(file.slice(), { headers: origin.headers.get(path) })
  }
  const part = origin.parts.get(path)
  return part ? Response.json(part) : new Response('not found', { status: 404 })
}

const hex = (n: number, s: string): string => Buffer.from(s).toString('hex').padEnd(n, '0').slice(0, n)

/** A build of `files` (path -> content label) in one shard, as the builder would describe it; served by `deploy`. */
export function build (id: string, files: Record<string, string>, settings: Partial<Manifest['settings']> = {}): { manifest: Manifest, part: ShardPart } {
  let offset = 0
  const entries: FileEntry[] = Object.entries(files).sort(([a], [b]) => a < b ? -1 : 1).map(([path, content]) => {
    const entry = { path, size: 100, sha256: hex(64, content), type: 'text/html', offset }
    offset += 100
    return entry
  })
  const infoHash = hex(40, id + Object.values(files).join())
  const part: ShardPart = { version: MANIFEST_VERSION, infoHash, name: 'site', pieceLength: 16384, files: entries }
  const partPath = `planktos/p/${hex(16, id + JSON.stringify(entries))}.json`
  const manifest: Manifest = {
    version: MANIFEST_VERSION,
    buildId: id,
    base: '/',
    site: null,
    settings: {
      announce: [], rtcConfig: {}, peerTimeout: 2000, prefetch: 'none', prefetchBudget: 0, maxStorage: 1e9, update: 'auto',
      p2p: 'auto', ignoreSearchParams: [], debug: false, persist: false, ...settings
    },
    routes: { directoryIndex: 'index.html' },
    notFound: null,
    shards: [{ infoHash, torrent: `planktos/t/${infoHash}.torrent`, part: partPath, size: offset, files: entries.length, first: entries[0]!.path, last: entries.at(-1)!.path }]
  }
  return { manifest, part }
}

/** Makes `b` the build the origin serves. */
export function deploy (b: { manifest: Manifest, part: ShardPart }): void {
  origin.manifest = b.manifest
  origin.parts.set(b.manifest.shards[0]!.part, b.part)
}

/** A fetch event as the worker's decisions see it. */
export function fetchEvent (url: string, { mode = 'no-cors', clientId = '', resultingClientId = '' }: { mode?: RequestMode, clientId?: string, resultingClientId?: string } = {}): { request: { url: string, mode: RequestMode, headers: Headers }, clientId: string, resultingClientId: string, waitUntil (p: Promise<unknown>): void, settled (): Promise<unknown> } {
  const work: Array<Promise<unknown>> = []
  return {
    request: { url: new URL(url, ORIGIN).href, mode, headers: new Headers() },
    clientId,
    resultingClientId,
    waitUntil: p => { work.push(p) },
    settled: () => Promise.all(work)
  }
}
