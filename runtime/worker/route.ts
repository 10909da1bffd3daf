// The fetch handler: which requests the worker answers. Only same-origin GETs of files the manifest lists;
// everything else is left to the browser (no respondWith), exactly as without planktos.
import type { Manifest } from '../shared/manifest.ts'
import { findShard } from '../shared/manifest.ts'
import { BYPASS_HEADER, sitePath } from '../shared/urls.ts'
import { config, scope, type FetchEvent } from './scope.ts'
import { answerRuntime, runtimeKey } from './runtime-files.ts'
import { loadManifestFor, manifestFor } from './builds.ts'
import { orNotFound, wantsNotFound } from './not-found.ts'
import { lookup, urlRules } from './site.ts'
import { answerFile } from './sources.ts'
import { count } from './stats.ts'

/** The path the worker answers for `request`, or null to leave it to the network. */
function ours (request: Request, manifest: Manifest): string | null {
  const path = sitePath(request.url, request.method, urlRules(manifest))
  return path !== null && findShard(manifest, path) ? path : null
}

export function onFetch (event: FetchEvent): void {
  const { request } = event
  if (config.killSwitch || request.method !== 'GET' || request.headers.has(BYPASS_HEADER)) return
  const url = new URL(request.url)
  if (url.origin !== scope.location.origin || !url.pathname.startsWith(config.base)) return
  const runtime = url.search === '' ? runtimeKey(url.pathname) : null
  // planktos' own files are whole-file reads; a range of one is the network's business.
  if (runtime) return request.headers.has('Range') ? undefined : event.respondWith(answerRuntime(event, runtime))
  // Each page is answered from the build it loaded with; navigations get the newest.
  const manifest = manifestFor(event)
  if (manifest) {
    const path = ours(request, manifest)
    if (path === null) {
      if (wantsNotFound(event, manifest)) return event.respondWith(orNotFound(event, manifest))
      count('passed')
      return
    }
    event.respondWith(answer(path, event, manifest))
    return
  }
  // The browser restarted the worker and the manifest is not in memory yet: decide once it is loaded. What
  // turns out not to be ours is fetched as the page asked for it.
  event.respondWith(loadManifestFor(event).then(m => {
    const path = m ? ours(request, m) : null
    if (path !== null) return answer(path, event, m!)
    if (m && wantsNotFound(event, m)) return orNotFound(event, m)
    count('passed')
    return fetch(request)
  }, () => fetch(request)))
}

async function answer (path: string, event: FetchEvent, manifest: Manifest): Promise<Response> {
  const found = await lookup(path, manifest).catch(() => undefined)
  // The shard's range holds the path but its file list does not, or the list is unreachable: the origin decides.
  if (!found) return wantsNotFound(event, manifest) ? orNotFound(event, manifest) : fetch(event.request)
  return answerFile(found, event)
}
