// The files a first page loaded before the worker controlled it (the page lists them in `seen`). Storing them costs
// the origin the shard parts that list them (1.5-1.8 KB on the example sites), which buys nothing for a visitor who
// reads one page and leaves: no downloader seeds them, no later page reads them. So where peers are possible they are
// only noted, and stored once the visitor stays: its page's downloader starts (after a while on the page, or when the
// worker asks it for peers), or it opens another page. Without WebRTC no downloader ever starts, and the store is
// what keeps a visited page readable with the origin down: they are stored at once.
import type { Manifest } from '../shared/manifest.ts'
import type { Store } from '../shared/store.ts'
import { sitePath } from '../shared/urls.ts'
import { fromOrigin } from './origin.ts'
import { peersPossible } from './pages.ts'
import { keepCopy, runtimeKey } from './runtime-files.ts'
import { loadManifest, lookup, urlRules } from './site.ts'
import { changeMeta, store } from './storage.ts'

/**
 * Meta key of what is noted and not stored yet, with the build it was noted under: a worker the browser stops in
 * between forgets nothing, and a note that outlived a deploy is dropped (the HTTP cache holds the old files).
 */
const KEY = 'seen'

interface Note { build: string, urls: string[] }

/** A page loaded `urls` before the worker controlled it. */
export async function noteSeen (urls: string[]): Promise<void> {
  const build = (await loadManifest())?.buildId ?? ''
  await changeMeta<Note>(KEY, old => ({ build, urls: [...old?.build === build ? old.urls : [], ...urls] }))
  if (!await peersPossible()) await stays()
}

/** Whether the visitor stayed in this worker's life: from then on a page's late files are the worker's (route.ts). */
let stayed = false
export const hasStayed = (): boolean => stayed

/** The visitor stays: stores what its first page loaded, if anything is noted. */
export async function stays (): Promise<void> {
  stayed = true
  const db = await store()
  let note: Note | undefined
  // Taken in one transaction (an empty note is left), so two triggers at once store it once, and a page's note
  // written meanwhile is not lost.
  await db?.updateMeta<Note>(KEY, old => { note = old; return old?.urls.length ? { build: old.build, urls: [] } : undefined }).catch(() => {})
  const manifest = note?.urls.length ? await loadManifest() : undefined
  if (manifest && note!.build === manifest.buildId) await storeSeen(note!.urls, db!, manifest)
}

/**
 * Stores site files a page loaded. They come from the HTTP cache only (`only-if-cached`): a file
 * the cache does not hold (a page that is still arriving, as when the visitor clicks the moment the worker takes
 * over; or one evicted since) is left for later rather than fetched from the origin a second time. Each is verified
 * like any origin answer.
 */
async function storeSeen (urls: string[], db: Store, manifest: Manifest): Promise<void> {
  const rules = urlRules(manifest)
  for (const url of new Set(urls)) {
    let u: URL
    try { u = new URL(url) } catch { continue }
    const runtime = u.search === '' ? runtimeKey(u.pathname) : null
    // planktos' own scripts too, so a later page can start them with the origin down.
    if (runtime) {
      await fetch(url, { cache: 'only-if-cached', mode: 'same-origin' }).then(res => res.ok ? keepCopy(runtime, res) : undefined).catch(() => {})
      continue
    }
    const path = sitePath(url, 'GET', rules)
    const found = path === null ? undefined : await lookup(path)
    if (!found) continue
    try {
      if ((await db.record(found.entry.sha256))?.complete) continue
      await (await fromOrigin(found, url, undefined, 'only-if-cached')).stored
    } catch {
      // One file failing to store only means it will be fetched again later.
    }
  }
}
