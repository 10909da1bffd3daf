// Answering one site file: the store, then peers, then the origin, with the origin hedged in once peers have
// made no progress for `peerTimeout`. The first complete answer wins and the other is cancelled.
import { sha256 } from '../shared/hash.ts'
import { fromOrigin, type OriginAnswer } from './origin.ts'
import type { FileRef } from '../shared/messages.ts'
import { listens, listensSoon } from './pages.ts'
import { fileRef, fromPeers } from './peers.ts'
import { fileResponse } from './respond.ts'
import type { FetchEvent } from './scope.ts'
import { currentManifest, lookup, type Found } from './site.ts'
import { count, served, statsSaved } from './stats.ts'
import { store } from './storage.ts'

const DEFAULT_PEER_TIMEOUT = 2000

/** The response for a site file the manifest lists. Never rejects; a network error only when no source has it. */
export async function answerFile (found: Found, event: FetchEvent): Promise<Response> {
  const { entry } = found
  const stored = await fromStore(found)
  if (stored) {
    served('store', stored.length)
    event.waitUntil(statsSaved())
    return fileResponse(entry, stored, 'store')
  }
  const winner = await peersThenOrigin(found, event)
  if (!winner) return Response.error()
  if ('peers' in winner) {
    served('peers', winner.peers.length)
    event.waitUntil(statsSaved())
    return fileResponse(entry, winner.peers, 'peers')
  }
  event.waitUntil(winner.origin.stored.then(statsSaved))
  if (winner.origin.bytes) served('origin', winner.origin.bytes.length)
  return winner.origin.response
}

/** The stored file, re-verified: a store can be corrupted (or tampered with) after it was written. */
async function fromStore ({ entry }: Found): Promise<Uint8Array | undefined> {
  const db = await store()
  try {
    const record = await db?.record(entry.sha256)
    if (!db || !record?.complete) return undefined
    const bytes = await db.read(entry.sha256, 0, entry.size)
    if (!bytes) return undefined
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

type Winner = { peers: Uint8Array } | { origin: OriginAnswer }

async function peersThenOrigin (found: Found, event: FetchEvent): Promise<Winner | undefined> {
  const peerTimeout = currentManifest()?.settings.peerTimeout ?? DEFAULT_PEER_TIMEOUT
  const stopPeers = new AbortController()
  let progress = 0
  const deps = event.request.mode === 'navigate' ? await missingDeps(found) : []
  const requester = event.clientId
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
  const stopOrigin = new AbortController()
  const origin = fromOrigin(found, event.request.url, stopOrigin.signal)
    .catch(() => undefined)
    .then(answer => answer && { origin: answer })
  const winner = await firstOf<Winner>(peers, origin)
  if (winner && 'peers' in winner) stopOrigin.abort()
  else stopPeers.abort()
  if (winner || requester === '' || requesterListened || !await listensSoon(requester, peerTimeout)) return winner
  // Neither could answer, and the page asking had not started planktos yet (a page asks for its images before
  // its scripts run, and the page that fetched it from peers is gone). Now it listens, it can ask its peers.
  const again = await fromPeers(found, [], requester, peerTimeout, () => {}, new AbortController().signal).catch(() => undefined)
  return again && { peers: again }
}

/** The subresources of a page that the store lacks: a navigation gets them from peers along with the page. */
async function missingDeps ({ entry, manifest }: Found): Promise<FileRef[]> {
  const db = await store()
  const refs: FileRef[] = []
  for (const path of entry.deps ?? []) {
    const dep = await lookup(path, manifest).catch(() => undefined)
    if (dep && !(await db?.record(dep.entry.sha256).catch(() => undefined))?.complete) refs.push(fileRef(dep))
  }
  return refs
}

/** Resolves `false` after `ms`, so it never equals an answer or `undefined` (a finished miss). */
function delay (ms: number): Promise<false> {
  return new Promise(resolve => setTimeout(() => resolve(false), ms))
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
