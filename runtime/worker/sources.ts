// Answering one site file: the store, then peers, then the origin, with the origin hedged in once peers have
// made no progress for `peerTimeout`. Small files are verified whole before they are answered, and the first
// complete answer wins; large ones are streamed (stream.ts). Byte ranges (range.ts) are answered from either.
import { sha256 } from '../shared/hash.ts'
import type { FileRef } from '../shared/messages.ts'
import { delay } from './delay.ts'
import type { FileRequest } from './file-request.ts'
import { hotFile, keepHot } from './hot.ts'
import { completed, discard } from './keep.ts'
import { fromOrigin, type OriginAnswer } from './origin.ts'
import { listens, listensSoon, peersPossible } from './pages.ts'
import { fileRef, openPeers, stallAfter } from './peers.ts'
import { etagOf, rangeFor } from './range.ts'
import { fileResponse, refusal, type Part } from './respond.ts'
import { lookup, type Found } from './site.ts'
import { count, served, statsSaved } from './stats.ts'
import { store } from './storage.ts'
import { STREAM_FROM, concat, downloading, storedBody, streamFile } from './stream.ts'

/** The response for a site file the manifest lists. Never rejects; a network error only when no source has it. */
export async function answerFile (ask: FileRequest): Promise<Response> {
  const response = await answerFrom(ask)
  // The counters as they are once this response is counted, saved before the browser may stop the worker.
  ask.waitUntil(statsSaved())
  return response
}

async function answerFrom (ask: FileRequest): Promise<Response> {
  const { found, request } = ask
  const { entry } = found
  const range = rangeFor(request.headers, entry.size, etagOf(entry.sha256))
  if (range.status === 416) return refusal(entry)
  const part = range.status === 206 ? { start: range.start, end: range.end } : undefined
  const db = await store()
  if (db && entry.size >= STREAM_FROM) {
    // A file being downloaded is not complete: its store may be busy writing it (in WebKit a media element's second
    // request waited ~190 ms for a record behind the write of the file's first megabytes).
    const complete = !downloading(entry.sha256) && (await db.record(entry.sha256).catch(() => undefined))?.complete
    if (complete) {
      served('store', 0)
      void db.touch(entry.sha256).catch(() => {})
      return fileResponse(entry, storedBody(db, found, part), 'store', part)
    }
    const streamed = await streamFile(ask, db, part).catch(() => undefined)
    // Neither peers nor the origin could start it: the network answers the request as the page made it.
    return streamed ?? fetch(request).catch(() => Response.error())
  }
  const hot = hotFile(entry.sha256)
  const stored = hot ?? await fromStore(found)
  // Kept in memory only without WebRTC (WebKit here, where the store stalls while a media page loads), and only what
  // the store holds: elsewhere every answer re-reads, and so re-checks, the store (security-runtime alters it behind
  // the worker), and a file the quota kept out of the store is not answered as stored (faults-browser).
  if (stored && !hot && !await peersPossible()) keepHot(entry.sha256, stored)
  if (stored) return whole(entry, stored, 'store', part)
  const winner = await peersThenOrigin(ask)
  if (!winner) return Response.error()
  if ('peers' in winner) return whole(entry, winner.peers, 'peers', part)
  ask.waitUntil(winner.origin.stored.then(statsSaved))
  const { bytes, response } = winner.origin
  // What the origin sent with this file (on its answer) stays on the answer made of its bytes, for a range too.
  return bytes ? whole(entry, bytes, 'origin', part, response.headers) : response
}

/** The response for `part` (or all) of a file whose verified bytes are all here. */
function whole (entry: Found['entry'], bytes: Uint8Array, source: 'store' | 'peers' | 'origin', part?: Part, sent?: Headers): Response {
  const body = part ? bytes.subarray(part.start, part.end) : bytes
  served(source, body.length)
  return fileResponse(entry, body, source, part, sent)
}

/** The stored file, re-verified: a store can be corrupted (or tampered with) after it was written. */
async function fromStore ({ entry }: Found): Promise<Uint8Array | undefined> {
  const db = await store()
  try {
    const bytes = await db?.readComplete(entry.sha256, entry.size)
    if (!db || !bytes) return undefined
    if (await sha256(bytes) !== entry.sha256) {
      count('verifyFailures')
      await db.remove(entry.sha256)
      return undefined
    }
    void db.touch(entry.sha256).catch(() => {})
    return bytes
  } catch {
    return undefined
  }
}

/**
 * A small file's bytes from peers, verified against the manifest and marked complete in the store (the page
 * stored the pieces), or undefined when peers cannot supply them. `deps` are fetched along.
 */
async function fromPeers (found: Found, deps: FileRef[], preferred: string, peerTimeout: number, onProgress: () => void, signal: AbortSignal): Promise<Uint8Array | undefined> {
  const feed = await openPeers(found, deps, preferred, peerTimeout, onProgress, signal)
  if (!feed) return undefined
  const { entry } = found
  const chunks: Uint8Array[] = []
  let received = 0
  while (received < entry.size) {
    const bytes = await feed.next(stallAfter(peerTimeout))
    if (!bytes || signal.aborted) return undefined
    chunks.push(bytes)
    received += bytes.length
    onProgress()
  }
  feed.close()
  const bytes = concat(chunks)
  // The page checked each piece's SHA-1; the file's SHA-256 is checked here, before any byte reaches a page.
  if (bytes.length !== entry.size || await sha256(bytes) !== entry.sha256) {
    await discard(entry.sha256)
    return undefined
  }
  await completed(found)
  return bytes
}

type Winner = { peers: Uint8Array } | { origin: OriginAnswer }

async function peersThenOrigin ({ found, request, requester }: FileRequest): Promise<Winner | undefined> {
  // The settings of the build this file belongs to, not of the newest deploy the worker knows.
  const { peerTimeout } = found.manifest.settings
  // The page gave the request up (it left, or aborted its fetch): nothing more is fetched for it, from peers or from
  // the origin, as the browser would stop a download without a worker.
  const gone = request.signal
  // A browser without WebRTC: no page can ask peers, so nothing is looked up for them and the origin is asked at once.
  if (!await peersPossible()) {
    const answer = await fromOrigin(found, request.url, gone).catch(() => undefined)
    return answer && { origin: answer }
  }
  const stopPeers = new AbortController()
  const stopOrigin = new AbortController()
  const stop = (): void => { stopPeers.abort(); stopOrigin.abort() }
  // Given up during the awaits above (the store, peersPossible), the event has passed already.
  if (gone.aborted) stop()
  else gone.addEventListener('abort', stop, { once: true })
  let progress = 0
  const deps = request.mode === 'navigate' ? await missingDeps(found) : []
  const requesterListened = requester !== '' && await listens(requester)
  const peers = fromPeers(found, deps, requester, peerTimeout, () => { progress++ }, stopPeers.signal)
    .catch(() => undefined)
    .then(bytes => bytes && { peers: bytes })
  // Wait while peers keep making progress; a whole peerTimeout without any means it is time to hedge.
  let seen = -1
  while (progress !== seen) {
    seen = progress
    const early = await Promise.race([peers, delay(peerTimeout)])
    if (early) return early
    // undefined is the peers' own answer ("cannot"): go to the origin at once.
    if (early === undefined) break
  }
  if (gone.aborted) return undefined
  const origin = fromOrigin(found, request.url, stopOrigin.signal)
    .catch(() => undefined)
    .then(answer => answer && { origin: answer })
  const winner = await firstOf<Winner>(peers, origin)
  if (winner && 'peers' in winner) stopOrigin.abort()
  else stopPeers.abort()
  if (winner || requester === '' || requesterListened || !await listensSoon(requester, peerTimeout)) return winner
  // Neither could answer, and the page asking had not started planktos yet (a page asks for its images before
  // its scripts run, and the page that fetched it from peers is gone). Now it listens, it can ask its peers.
  const again = await fromPeers(found, [], requester, peerTimeout, () => {}, gone).catch(() => undefined)
  return again && { peers: again }
}

/**
 * The subresources of a page that the store lacks: a navigation gets them from peers along with the page. Media
 * and other large files are left out: they are streamed when the page asks for them, often only in part.
 */
async function missingDeps ({ entry, manifest }: Found): Promise<FileRef[]> {
  const db = await store()
  const refs: FileRef[] = []
  for (const path of entry.deps ?? []) {
    const dep = await lookup(path, manifest).catch(() => undefined)
    if (!dep || dep.entry.size >= STREAM_FROM || /^(audio|video)\//.test(dep.entry.type)) continue
    if (!(await db?.record(dep.entry.sha256).catch(() => undefined))?.complete) refs.push(fileRef(dep))
  }
  return refs
}

/** The first of two answers that is not undefined, or undefined when neither has one. */
function firstOf<T> (a: Promise<T | undefined>, b: Promise<T | undefined>): Promise<T | undefined> {
  return new Promise(resolve => {
    let left = 2
    const take = (v: T | undefined): void => {
      if (v !== undefined) resolve(v)
      else if (--left === 0) resolve(undefined)
    }
    void a.then(take)
    void b.then(take)
  })
}
