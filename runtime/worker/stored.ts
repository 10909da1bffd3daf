// Which files the store holds complete, known in memory where only this worker stores files: in a browser without
// WebRTC no downloader runs, so a file this worker has not stored is not in the store, and its request goes to the
// origin without a read (WebKit holds up reads for hundreds of ms while a page with a media element loads). Where
// pages store what peers send, the store itself is asked, as before.
import { peersPossible } from './pages.ts'
import { store } from './storage.ts'

let complete: Promise<Set<string> | void> | undefined

/** False when the file with this SHA-256 is surely not stored complete; true when the store must be asked. */
export async function maybeStored (sha256: string): Promise<boolean> {
  if (await peersPossible()) return true
  // One read of the file records when the worker starts; later stores add to it (an IndexedDB read begun after a
  // write sees it, so none is missed).
  complete ??= store().then(db => db!.records()).then(rs => new Set(rs.filter(r => r.complete).map(r => r.sha256)), () => { complete = undefined })
  const set = await complete
  return !set || set.has(sha256)
}

/** This worker stored the file with this SHA-256 complete. */
export function noteStored (sha256: string): void {
  void complete?.then(s => s?.add(sha256))
}
