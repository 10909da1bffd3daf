// The fetch handler: which requests the worker answers. Only same-origin GETs of files the manifest lists;
// everything else is left to the browser (no respondWith), exactly as without planktos.
import type { Manifest } from '../shared/manifest.ts'
import { findShard } from '../shared/manifest.ts'
import { BYPASS_HEADER, siteRoutes, type Route } from '../shared/urls.ts'
import { config, scope, type FetchEvent } from './scope.ts'
import { answerRuntime, runtimeKey } from './runtime-files.ts'
import { afterNavigation, loadManifestFor, manifestFor, staleAnswers, superseded, supersededResponse, type Sent } from './builds.ts'
import { asFile } from './origin.ts'
import { orNotFound, wantsNotFound } from './not-found.ts'
import { held, loadManifest, lookup, refreshManifest, urlRules } from './site.ts'
import { fileRequest } from './file-request.ts'
import { hasStayed, noteSeen, stays } from './seen.ts'
import { answerFile } from './sources.ts'
import { leftToOrigin } from './peers-help.ts'
import { peersPossible } from './pages.ts'
import { steppedAside } from './step-aside.ts'
import { count, served, statsSaved } from './stats.ts'

/** The routes the worker tries for `request`, or null to leave it to the network. */
function ours (request: Request, manifest: Manifest): Route[] | null {
  const routes = siteRoutes(request.url, request.method, urlRules(manifest))
  return routes?.some(r => findShard(manifest, r.path)) ? routes : null
}

export function onFetch (event: FetchEvent): void {
  const { request } = event
  if (config.killSwitch || steppedAside() || request.method !== 'GET' || request.headers.has(BYPASS_HEADER)) return
  const url = new URL(request.url)
  if (url.origin !== scope.location.origin || !url.pathname.startsWith(config.base)) return
  const runtime = url.search === '' ? runtimeKey(url.pathname) : null
  // planktos' own files are whole-file reads; a range of one is the network's business.
  if (runtime) return request.headers.has('Range') ? undefined : event.respondWith(answerRuntime(event, runtime))
  // A visitor who opens another page stays: what the first page loaded is worth storing now (seen.ts). Not a frame's
  // page, nor a prerender or prefetch (Sec-Purpose) the visitor may never open.
  if (request.destination === 'document' && !request.headers.has('Sec-Purpose')) event.waitUntil(stays())
  // Each page is answered from the build it loaded with; navigations get the newest.
  const manifest = manifestFor(event)
  if (manifest) {
    const routes = ours(request, manifest)
    if (routes === null) {
      if (wantsNotFound(event, manifest)) return event.respondWith(orNotFound(event, manifest))
      count('passed')
      return
    }
    event.respondWith(answer(routes, event, manifest))
    return
  }
  // The browser restarted the worker and the manifest is not in memory yet: decide once it is loaded. What
  // turns out not to be ours is fetched as the page asked for it.
  event.respondWith(loadManifestFor(event).then(m => {
    // A navigation waits for a check under way, which may have found the manifest gone.
    if (steppedAside()) return fetch(request)
    const routes = m ? ours(request, m) : null
    if (routes !== null) return answer(routes, event, m!)
    if (m && wantsNotFound(event, m)) return orNotFound(event, m)
    count('passed')
    return fetch(request)
  }, () => fetch(request)))
}

async function answer (routes: Route[], event: FetchEvent, manifest: Manifest): Promise<Response> {
  const res = await answerFrom(routes, event, manifest)
  // A navigation of a returning visitor met a deploy the worker had not seen yet (the origin's page, or a file list
  // gone from the origin, belongs to it): a new page mixes no deploys, so it gets the newest build's answer, once,
  // and is pinned to that build.
  const newest = event.request.mode === 'navigate' && staleAnswers.has(res) && await refreshManifest()
  if (!newest || newest.buildId === manifest.buildId) return res
  // Saved before the page can ask for anything: a newer worker taking over reads the pin from the store.
  await afterNavigation(event, newest)
  // No route of the newest build: the origin answers, as for any path it does not list.
  const again = ours(event.request, newest) ?? []
  return await sentAgain(again, newest, staleAnswers.get(res)!, event) ?? answerFrom(again, event, newest)
}

/**
 * The newest build's answer from the bytes the origin sent for the stale one, if they are its file: the page is not
 * fetched twice.
 */
async function sentAgain (routes: Route[], manifest: Manifest, { bytes, headers }: Sent, event: FetchEvent): Promise<Response | undefined> {
  if (!bytes || !headers) return
  for (const route of routes) {
    const found = await lookup(route.path, manifest).catch(() => undefined)
    if (!found) continue
    const answer = !route.redirect && await asFile(found, bytes, headers)
    if (!answer) return
    served('origin', bytes.length)
    event.waitUntil(answer.stored.then(statsSaved))
    return answer.response
  }
}

async function answerFrom (routes: Route[], event: FetchEvent, manifest: Manifest): Promise<Response> {
  for (const route of routes) {
    if (await leftAlone(event.request, manifest, route.path)) {
      event.waitUntil(noteSeen([event.request.url]))
      return fetch(event.request)
    }
    const found = await lookup(route.path, manifest).catch(() => undefined)
    if (!found) continue
    if (route.redirect) return Response.redirect(route.redirect, 301)
    return answerFile(fileRequest(found, event))
  }
  // A shard's range holds the path but its file list does not, or the list is unreachable: the origin decides.
  if (wantsNotFound(event, manifest)) return orNotFound(event, manifest)
  // Unless the page is of an older build whose file list is gone (neither stored nor on the origin after a
  // deploy): the origin has only the newest deploy's file, which that page must not get if it may differ.
  return await superseded(manifest) && await changedInNewest(routes, manifest) ? supersededResponse() : fetch(event.request)
}

/**
 * Whether the origin answers a request for `path` by itself (peers-help.ts, leftToOrigin): until the visitor stays, a
 * page's late files are noted like the first page's own (seen.ts), unless the worker holds their shard's part. Only
 * where peers are possible: without them a first page's files are stored at once, which needs the part anyway. Only
 * for the newest build: an older one's file may differ from the origin's. (A worker the browser restarted does not
 * know the visitor stayed: until the next page or downloader report, such files are noted again, not offered.)
 */
async function leftAlone (request: Request, manifest: Manifest, path: string): Promise<boolean> {
  const shard = findShard(manifest, path)
  return !hasStayed() && !!shard && leftToOrigin(request.destination, shard) && !await held(shard) && await peersPossible() && !await superseded(manifest)
}

/**
 * Whether the newest build lists one of `routes` in another shard part than `manifest` does (its file may differ).
 * A file the newest build no longer lists is the origin's to answer: its 404, as without planktos.
 */
async function changedInNewest (routes: Route[], manifest: Manifest): Promise<boolean> {
  const newest = await loadManifest()
  if (!newest) return false
  for (const r of routes) {
    const own = findShard(manifest, r.path)
    if (!own || own.part === findShard(newest, r.path)?.part) continue
    if (await lookup(r.path, newest).catch(() => undefined)) return true
  }
  return false
}
