// Responses the worker makes from verified bytes: the type the manifest names, the file's SHA-256 as a strong
// ETag (so If-Range works), byte ranges, and where the bytes came from (a header for people and tests reading
// the network panel, not for the site).
import type { FileEntry } from '../shared/manifest.ts'
import type { BySource } from '../shared/messages.ts'
import { contentRange, etagOf } from './range.ts'
import { headersOf, securityOf } from './site-headers.ts'
import { noteServed } from './stats.ts'

export const SOURCE_HEADER = 'X-Planktos-Source'

/** Bytes [start, end) of a file. */
export interface Part { start: number, end: number }

function headers (entry: FileEntry, source?: keyof BySource, sent?: Headers): Record<string, string> {
  // The site's security headers first: a page from the store or a peer keeps the policy the origin gives it. Those
  // the origin sent with this very file (a header of one nginx `location`, say) are the truth for it, over what the
  // build declared and what came with the manifest.
  const h: Record<string, string> = { ...headersOf(entry), ...sent && securityOf(sent), 'Content-Type': entry.type, ETag: etagOf(entry.sha256), 'Accept-Ranges': 'bytes' }
  if (source) h[SOURCE_HEADER] = source
  return h
}

/**
 * A 200 response carrying the whole file, or a 206 carrying `part` of it; `body` holds exactly those bytes. `sent`:
 * the headers the origin sent with the file, when the bytes are the origin's.
 */
export function fileResponse (entry: FileEntry, body: Uint8Array | ReadableStream<Uint8Array>, source: keyof BySource, part?: Part, sent?: Headers): Response {
  noteServed(entry.path, source)
  const length = part ? part.end - part.start : entry.size
  const h = headers(entry, source, sent)
  h['Content-Length'] = String(length)
  if (part) h['Content-Range'] = contentRange(entry.size, part)
  return new Response(body as BodyInit, { status: part ? 206 : 200, headers: h })
}

/** 416: the range asked for starts past the end of the file. */
export function refusal (entry: FileEntry): Response {
  return new Response(null, { status: 416, headers: { ...headers(entry), 'Content-Range': contentRange(entry.size) } })
}
