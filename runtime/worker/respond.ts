// Responses the worker makes from verified bytes: the type the manifest names, and where the bytes came from
// (a header for people and tests reading the network panel, not for the site).
import type { FileEntry } from '../shared/manifest.ts'
import type { BySource } from '../shared/messages.ts'
import { noteServed } from './stats.ts'

export const SOURCE_HEADER = 'X-Planktos-Source'

/** A 200 response carrying a whole file. */
export function fileResponse (entry: FileEntry, bytes: Uint8Array, source: keyof BySource): Response {
  noteServed(entry.path, source)
  return new Response(bytes as Uint8Array<ArrayBuffer>, {
    status: 200,
    headers: {
      'Content-Type': entry.type,
      'Content-Length': String(bytes.length),
      [SOURCE_HEADER]: source
    }
  })
}
