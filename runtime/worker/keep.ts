// The worker's side of storing verified files: within the storage budget, one at a time, and telling the pages'
// downloaders what they may now seed or must stop offering.
import { dropHot } from './hot.ts'
import { broadcast } from './pages.ts'
import type { Found } from './site.ts'
import { count } from './stats.ts'
import { store } from './storage.ts'

/** Stores run one at a time: two making room at once would each leave room for one file, then add two. */
let storing: Promise<void> = Promise.resolve()

function serially (job: () => Promise<void>): Promise<void> {
  const done = storing.then(job)
  storing = done.catch(() => {})
  return done
}

/** Makes room for `bytes` more within the budget, keeping `sha256`; false when the file cannot fit at all. */
async function makeRoom (sha256: string, bytes: number, budget: number): Promise<string[] | false> {
  const db = await store()
  if (!db || bytes > budget) return false
  return db.evict(budget - bytes, new Set([sha256]))
}

/**
 * Makes room within the storage budget of the file's build for a file about to be streamed into the store; false
 * when it cannot be kept at all (larger than maxStorage, or no store): it then streams through without being stored.
 */
export async function reserve (found: Found): Promise<boolean> {
  let kept = false
  await serially(async () => {
    const { entry } = found
    const room = await makeRoom(entry.sha256, entry.size, found.manifest.settings.maxStorage).catch(() => false as const)
    if (room === false) return
    kept = true
    await gone(room)
  })
  return kept
}

/** Stores a whole file's verified bytes within the storage budget and tells the downloaders they can seed it. */
export function keep (found: Found, bytes: Uint8Array): Promise<void> {
  return serially(async () => {
    const { entry } = found
    const db = await store()
    // The budget of the build this file belongs to, as for every setting a request uses.
    const budget = found.manifest.settings.maxStorage
    const evicted: string[] = []
    try {
      const room = await makeRoom(entry.sha256, entry.size, budget)
      if (!room || !db) return
      evicted.push(...room)
      await db.putFile(entry.sha256, bytes)
    } catch {
      // Most likely the browser's quota, which may be far below maxStorage: make room once, then give up quietly.
      try {
        evicted.push(...await db!.evict(Math.floor(budget / 2), new Set([entry.sha256])))
        await db!.putFile(entry.sha256, bytes)
      } catch {
        await gone(evicted)
        return
      }
    }
    await stored(found, evicted)
  })
}

/** A file whose bytes are all in the store (peers' pieces, streamed origin bytes) matched its SHA-256. */
export function completed (found: Found): Promise<void> {
  return serially(async () => {
    const db = await store()
    if (!db) return
    await db.markComplete(found.entry.sha256)
    await stored(found, await db.evict(found.manifest.settings.maxStorage, new Set([found.entry.sha256])).catch(() => []))
  })
}

async function stored ({ entry, shard }: Found, evicted: string[]): Promise<void> {
  count('stored')
  await gone(evicted)
  await broadcast({ type: 'stored', files: [{ sha256: entry.sha256, infoHash: shard.infoHash }] })
}

/** A file's stored bytes failed their SHA-256: they go, and no downloader may offer them any more. */
export async function discard (sha256: string): Promise<void> {
  count('verifyFailures')
  await (await store())?.remove(sha256).catch(() => {})
  await gone([sha256])
}

/** Files no longer stored: no downloader may offer them, and the worker's memory keeps no more than the store. */
async function gone (sha256: string[]): Promise<void> {
  for (const s of sha256) dropHot(s)
  if (sha256.length) await broadcast({ type: 'evicted', sha256 })
}
