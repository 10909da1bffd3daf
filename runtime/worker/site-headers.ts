// A site's security headers on the worker's answers, whichever source the bytes came from: a page from a peer must
// keep the policy (CSP, framing, referrer...) the origin would have sent with it. See docs/security.md.
import { SECURITY_HEADERS, type FileEntry, type Manifest, type ShardPart } from '../shared/manifest.ts'

const known = new WeakMap<FileEntry, Record<string, string>>()

/**
 * Remembers the security headers of `entry` in build `m`: those the build declares for it (`_headers`, the
 * `headers` option), else the site-wide ones the origin sent with the manifest.
 */
export function noteHeaders (entry: FileEntry, part: ShardPart, m: Manifest): void {
  const declared = entry.headers === undefined ? undefined : part.headers?.[entry.headers]
  const headers = declared ?? m.seen
  if (headers) known.set(entry, headers)
}

/** The security headers an answer for `entry` carries. */
export function headersOf (entry: FileEntry): Record<string, string> | undefined {
  return known.get(entry)
}

/** The security headers among an origin response's headers. */
export function securityOf (headers: Headers): Record<string, string> | undefined {
  let out: Record<string, string> | undefined
  for (const name of SECURITY_HEADERS) {
    const value = headers.get(name)
    if (value !== null) (out ??= {})[name] = value
  }
  return out
}
