// planktos' own scripts (install.js, downloader.js). The builder writes their SHA-256 into the worker's config, so
// a copy kept in the store whose digest matches is this deploy's script: it is answered at once, without a round
// trip to the origin on every page. Without a matching copy, the network answers and its bytes are kept; with the
// origin down, any kept copy still starts planktos (and seeding).
import { sha256 } from '../shared/hash.ts'
import { DOWNLOADER_FILE, INSTALL_FILE } from '../shared/manifest.ts'
import { SOURCE_HEADER } from './respond.ts'
import { config, type FetchEvent } from './scope.ts'
import { readMeta, store } from './storage.ts'

interface Copy {
  body: Uint8Array
  type: string
  sha256: string
}

/** The store key of the runtime file at `pathname`, or null when it is not one. */
export function runtimeKey (pathname: string): string | null {
  const file = pathname.slice(config.base.length)
  return pathname.startsWith(config.base) && (file === INSTALL_FILE || file === DOWNLOADER_FILE) ? `runtime:${file}` : null
}

export async function answerRuntime (event: FetchEvent, key: string): Promise<Response> {
  const file = key.slice('runtime:'.length)
  // The copy from memory when this worker kept or read one: the store stalls in WebKit while a media page loads.
  const copy = copies.get(key) ?? await readMeta<Copy>(key)
  if (copy && copy.sha256 === config.runtime?.[file]) {
    copies.set(key, copy)
    // A kill-switch deploy replaces install.js while the browser may keep this worker (its URL unchanged or
    // unreachable): the origin's install.js is still looked at, off the page's way, and a changed one no longer
    // matches, so the next page gets it from the network.
    if (file === INSTALL_FILE) event.waitUntil(fetch(event.request).then(res => res.status === 200 ? keepCopy(key, res) : undefined).catch(() => {}))
    return fromCopy(copy)
  }
  // Pages that start their downloaders together (the old page's and the new one's on a navigation) share one
  // fetch: the later ones get the copy the first one keeps.
  const shared = fetching.get(key)
  const kept = shared && await shared
  if (kept) return fromCopy(kept)
  const res = fetch(event.request)
  const keeping = res.then(r => r.status === 200 ? keepCopy(key, r.clone()) : undefined).catch(() => undefined)
  fetching.set(key, keeping)
  event.waitUntil(keeping.finally(() => fetching.delete(key)))
  return res.catch(() => copy ? fromCopy(copy) : Response.error())
}

/** Network fetches of runtime files under way, each resolving to the copy it keeps. */
const fetching = new Map<string, Promise<Copy | undefined>>()
/** The copies this worker read or kept (store bytes once matched are the deploy's script: the key is the digest). */
const copies = new Map<string, Copy>()

function fromCopy (copy: Copy): Response {
  return new Response(copy.body as Uint8Array<ArrayBuffer>, { headers: { 'Content-Type': copy.type, [SOURCE_HEADER]: 'store' } })
}

/** Keeps `res` (a 200 for a runtime file) in the store, unless the copy there has the same bytes; returns the copy. */
export async function keepCopy (key: string, res: Response): Promise<Copy | undefined> {
  const db = await store()
  if (!db) return
  const body = new Uint8Array(await res.arrayBuffer())
  const copy = { body, type: res.headers.get('Content-Type') ?? 'text/javascript', sha256: await sha256(body) }
  copies.set(key, copy)
  if ((await db.getMeta<Copy>(key))?.sha256 !== copy.sha256) await db.setMeta(key, copy)
  return copy
}
