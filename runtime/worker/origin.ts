// Site files from the origin: verified against the manifest, then stored so the visitor seeds them without
// fetching them again. Bytes that do not match (a deploy happened mid-visit) still reach the page, unstored.
import { sha256 } from '../shared/hash.ts'
import { fileUrl } from '../shared/urls.ts'
import { superseded, supersededResponse } from './builds.ts'
import { keep } from './keep.ts'
import { fileResponse } from './respond.ts'
import { config } from './scope.ts'
import { refreshManifest, type Found } from './site.ts'
import { count } from './stats.ts'

export interface OriginAnswer {
  response: Response
  /** Bytes of a verified 200 response (undefined when the response is passed through as the origin sent it). */
  bytes?: Uint8Array
  /** Settles once the bytes are stored (or storing failed): hand it to `waitUntil`. */
  stored: Promise<void>
}

/**
 * Fetches a site file from the origin (or only the HTTP cache, with `cache: 'only-if-cached'`). `url` is the URL the
 * page asked for, so the HTTP cache entries are those the site has without planktos (`about/`, not
 * `about/index.html`). Rejects on network errors.
 */
export async function fromOrigin (found: Found, url = fileUrl(config.base, found.entry.path), signal?: AbortSignal, cache: RequestCache = 'default'): Promise<OriginAnswer> {
  // `only-if-cached` is allowed for same-origin requests only.
  const res = await fetch(url, { signal, cache, credentials: 'same-origin', ...cache === 'only-if-cached' ? { mode: 'same-origin' as const } : {} })
  // Errors are the origin's business: the page gets them as they are. A followed redirect is handed on as a
  // redirect, since a navigation refuses a response that was redirected behind its back.
  if (res.redirected) return passed(Response.redirect(res.url, 302))
  if (res.status !== 200) {
    // A file the manifest lists and the origin no longer has: most likely a deploy removed it.
    if (res.status === 404 || res.status === 410) void refreshManifest()
    return passed(res)
  }
  const bytes = new Uint8Array(await res.arrayBuffer())
  const answer = await asFile(found, bytes, res.headers)
  if (answer) return answer
  count('verifyFailures')
  // The origin serves another deploy than our manifest: learn about it, and do not store what we cannot check.
  void refreshManifest()
  // A page of an older build must not get a newer build's file (a navigation may: route.ts).
  if (await superseded(found.manifest)) return passed(supersededResponse({ bytes, headers: res.headers }))
  // The body is decoded already: headers describing the encoded transfer no longer apply.
  const headers = new Headers(res.headers)
  headers.delete('Content-Encoding')
  headers.delete('Content-Length')
  return passed(new Response(bytes, { status: res.status, statusText: res.statusText, headers }))
}

/** An answer whose bytes are not stored. */
function passed (response: Response): OriginAnswer {
  return { response, stored: Promise.resolve() }
}

/**
 * The answer for `found` made of `bytes` the origin sent with `headers`, stored; undefined unless they are its file.
 */
export async function asFile (found: Found, bytes: Uint8Array, headers: Headers): Promise<OriginAnswer | undefined> {
  const { entry } = found
  if (bytes.length !== entry.size || await sha256(bytes) !== entry.sha256) return
  return { response: fileResponse(entry, bytes, 'origin', undefined, headers), bytes, stored: keep(found, bytes) }
}
