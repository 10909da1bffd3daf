// Checks that a manifest or a shard list is what its name says: the build id is the SHA-256 of the manifest's other
// fields, and a shard list's path holds the SHA-256 of its JSON. The worker checks the copies it stored, so what
// it trusts after a restart chains back to the build id in its own script, which came from the origin.
import { sha256 } from './hash.ts'
import type { Manifest, ShardPart } from './manifest.ts'

const hashText = (text: string): Promise<string> => sha256(new TextEncoder().encode(text))

/** True if `m`'s fields (but the worker's own `seen`) hash to its build id, as the builder computed it. */
export async function manifestIntact (m: Manifest): Promise<boolean> {
  const { buildId, seen, ...fields } = m
  return buildId === await hashText(JSON.stringify(fields))
}

/** True if `part` hashes to the name in its path (`planktos/p/<first 20 hex digits>.json`). */
export async function partIntact (part: ShardPart, path: string): Promise<boolean> {
  return path.endsWith(`/${(await hashText(JSON.stringify(part))).slice(0, 20)}.json`)
}
