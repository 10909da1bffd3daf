// The site's 404 page while the origin is down: a navigation to an in-scope URL the manifest does not know goes to
// the origin as usual, and only when the origin cannot be reached does the worker answer with the site's 404 page
// (from the store or from peers) and status 404. The origin's own 404 answers are kept when they are that page.
import { sha256 } from '../shared/hash.ts'
import type { Manifest } from '../shared/manifest.ts'
import { fileRequest } from './file-request.ts'
import { keep } from './keep.ts'
import type { FetchEvent } from './scope.ts'
import { lookup, type Found } from './site.ts'
import { answerFile } from './sources.ts'

/** Whether the worker steps in for `event` on a path the manifest does not know: navigations of sites with a 404 page. */
export function wantsNotFound (event: FetchEvent, manifest: Manifest): boolean {
  return event.request.mode === 'navigate' && manifest.notFound !== null
}

/** The origin's answer to `event`, or the site's 404 page when the origin cannot be reached. */
export async function orNotFound (event: FetchEvent, manifest: Manifest): Promise<Response> {
  const page404 = (): Promise<Found | undefined> =>
    manifest.notFound === null ? Promise.resolve(undefined) : lookup(manifest.notFound, manifest).catch(() => undefined)
  let res: Response
  try {
    res = await fetch(event.request)
  } catch {
    const found = await page404()
    if (!found) return Response.error()
    const page = await answerFile(fileRequest(found, event))
    if (!page.ok) return Response.error()
    return new Response(page.body, { status: 404, statusText: 'Not Found', headers: page.headers })
  }
  // Static hosts send the 404 page's own bytes: once verified, they are the file the manifest names, worth keeping
  // for the day the origin is down, at no extra request.
  if (res.status === 404) {
    const copy = res.clone()
    event.waitUntil(page404().then(found => found && keepIfPage(copy, found)).catch(() => {}))
  }
  return res
}

async function keepIfPage (res: Response, found: Found): Promise<void> {
  const bytes = new Uint8Array(await res.arrayBuffer())
  if (bytes.length === found.entry.size && await sha256(bytes) === found.entry.sha256) await keep(found, bytes)
}
