// `planktos tracker --allow`: the infohashes of built sites, read from their root manifests (files or http(s) URLs).
// Departed infohashes stay allowed for a grace period, so visitors still on the previous build keep finding peers.
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Manifest } from '../../runtime/shared/manifest.ts'

export interface AllowList {
  allows(infoHash: string): boolean
  current(): Set<string>
  /** Re-reads every manifest; returns the infohashes whose grace ran out. */
  reload(warn: (message: string) => void): Promise<string[]>
}

/** Reads every manifest once, failing with a sentence naming the first unreadable one. */
export async function loadAllowList (sources: string[], grace: number): Promise<AllowList> {
  const lists = new Map<string, Set<string>>()
  for (const source of sources) {
    try {
      lists.set(source, await readInfoHashes(source))
    } catch (err) {
      throw new Error(`planktos tracker: cannot read the manifest ${source} (${(err as Error).message}); pass the path or URL of a built site's planktos/manifest.json.`)
    }
  }
  let listed = union(lists.values())
  const departed = new Map<string, number>() // infohash -> when it left every manifest

  const inGrace = (infoHash: string, now: number): boolean => {
    const since = departed.get(infoHash)
    return since !== undefined && now - since < grace
  }
  return {
    allows: infoHash => listed.has(infoHash) || inGrace(infoHash, Date.now()),
    current: () => {
      const now = Date.now()
      return new Set([...listed, ...[...departed.keys()].filter(h => inGrace(h, now))])
    },
    async reload (warn) {
      const results = await Promise.allSettled(sources.map(readInfoHashes))
      results.forEach((result, i) => {
        const source = sources[i]!
        if (result.status === 'fulfilled') lists.set(source, result.value)
        else warn(`planktos tracker: could not reload ${source} (${(result.reason as Error).message}); still allowing the ${lists.get(source)!.size} infohashes it listed before.`)
      })
      const now = Date.now()
      const next = union(lists.values())
      for (const infoHash of listed) if (!next.has(infoHash)) departed.set(infoHash, now)
      for (const infoHash of next) departed.delete(infoHash)
      listed = next
      const expired = [...departed.keys()].filter(h => !inGrace(h, now))
      for (const infoHash of expired) departed.delete(infoHash)
      return expired
    }
  }
}

/** The shards' infohashes (lower-case hex) of one root manifest, from a file or an http(s) URL. */
async function readInfoHashes (source: string): Promise<Set<string>> {
  const text = /^https?:\/\//i.test(source) ? await download(source) : await readText(source)
  let manifest: Partial<Manifest>
  try {
    manifest = JSON.parse(text)
  } catch {
    throw new Error('it is not JSON')
  }
  if (!Array.isArray(manifest?.shards)) throw new Error('it has no "shards" list, so it is not a planktos manifest')
  const infoHashes = new Set<string>()
  for (const shard of manifest.shards) {
    const infoHash: unknown = shard?.infoHash
    if (typeof infoHash !== 'string' || !/^[0-9a-f]{40}$/i.test(infoHash)) throw new Error(`it lists a shard whose infoHash is not 40 hex digits: ${JSON.stringify(infoHash)}`)
    infoHashes.add(infoHash.toLowerCase())
  }
  return infoHashes
}

async function readText (path: string): Promise<string> {
  try {
    return await readFile(resolve(path), 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new Error(code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (err as Error).message)
  }
}

async function download (url: string): Promise<string> {
  let response: Response
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(10_000) })
  } catch (err) {
    // fetch's own message is "fetch failed"; the reason (ECONNREFUSED, a timeout) is in its cause.
    const cause = (err as Error & { cause?: Error }).cause
    throw new Error(cause?.message ?? (err as Error).message)
  }
  if (!response.ok) throw new Error(`the server answered HTTP ${response.status}`)
  return response.text()
}

function union (sets: Iterable<Set<string>>): Set<string> {
  const all = new Set<string>()
  for (const set of sets) for (const item of set) all.add(item)
  return all
}

