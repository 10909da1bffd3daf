// Which build answers a request: a navigation gets the newest (and the page it creates is pinned to it), any other
// request gets the build its page is pinned to. Navigations also start the background check for a new deploy.
import type { Manifest } from '../shared/manifest.ts'
import { loadPins, pin, pinsInMemory, storedPin } from './pins.ts'
import type { FetchEvent } from './scope.ts'
import { currentManifest, loadBuild, loadManifest, pendingCheck, refreshManifest } from './site.ts'
import { leaving } from './step-aside.ts'

/** How long a navigation waits for a look for a new deploy that is under way. */
const CHECK_WAIT = 3_000

/** Calls waitUntil where the platform still allows it (an event whose response is settled refuses). */
function extend (event: FetchEvent, work: Promise<unknown>): void {
  const quiet = work.catch(() => {})
  try { event.waitUntil(quiet) } catch {}
}

/** Pins the page a navigation creates to `m`; resolves once the pin is saved. */
export function afterNavigation (event: FetchEvent, m: Manifest): Promise<void> {
  const pinned = event.resultingClientId ? pin(event.resultingClientId, m.buildId) : Promise.resolve()
  extend(event, pinned)
  // A check that finds the manifest gone makes the worker step aside: the event keeps it alive until it has.
  extend(event, refreshManifest().then(leaving))
  return pinned
}

/**
 * The manifest for `event` if the decision can be made from memory; undefined means "call loadManifestFor".
 * Navigations are pinned to the build they get.
 */
export function manifestFor (event: FetchEvent): Manifest | undefined {
  const pins = pinsInMemory()
  const newest = currentManifest()
  if (!pins || !newest) return undefined
  if (event.request.mode === 'navigate') {
    // A check under way may have found a deploy: the navigation waits for it (the async path).
    if (pendingCheck()) return undefined
    afterNavigation(event, newest)
    return newest
  }
  const id = pins.get(event.clientId)
  if (id === undefined) {
    // A page loaded before the worker controlled it (or by an older worker): it stays on the build it meets first.
    if (event.clientId) extend(event, pin(event.clientId, newest.buildId))
    return newest
  }
  // A page of an older build: another worker may have pinned it since (the async path reads the store).
  return id === newest.buildId ? newest : undefined
}

/** The manifest for `event`, loading the newest build, the pins or the page's build from the store as needed. */
export async function loadManifestFor (event: FetchEvent): Promise<Manifest | undefined> {
  if (event.request.mode === 'navigate') {
    await loadPins()
    // Bounded: a slow origin must not hold up a navigation the store can answer.
    await Promise.race([pendingCheck(), new Promise(resolve => setTimeout(resolve, CHECK_WAIT))])
    const m = await loadManifest()
    if (m) afterNavigation(event, m)
    return m
  }
  const id = await storedPin(event.clientId)
  // The newest build is loaded as well, even when the page's own build answers: a worker the browser restarted
  // has it only in the store, and without it in memory an older page would not count as superseded (it got the
  // origin's new bytes) and the newest build's settings (peerTimeout) would be missing.
  const [own, m] = await Promise.all([id === undefined ? undefined : loadBuild(id), loadManifest()])
  if (own) return own
  // The page's build was pruned (a page restored from the back-forward cache after its build was dropped): the
  // newest is all there is.
  if (m && event.clientId) extend(event, pin(event.clientId, m.buildId))
  return m
}

/** Whether `manifest` is an older build than the newest the worker knows (from the store if not in memory). */
export async function superseded (manifest: Manifest): Promise<boolean> {
  const newest = currentManifest() ?? await loadManifest().catch(() => undefined)
  return !!newest && newest.buildId !== manifest.buildId
}

/**
 * The answer to a page of an older build asking for a file the origin now has in another version: that page must
 * not mix deploys, and no store or peer had its version.
 */
export function supersededResponse (sent: Sent = {}): Response {
  // A string body is text/plain;charset=UTF-8 by itself (Fetch standard).
  const res = new Response('This file changed in a newer deploy; reload the page.\n', { status: 503, headers: { 'Cache-Control': 'no-store' } })
  staleAnswers.set(res, sent)
  return res
}

/** What the origin sent instead of the older build's file, when it did (most likely the newest build's file). */
export interface Sent { bytes?: Uint8Array, headers?: Headers }

/** The answers `supersededResponse` gave: a navigation that gets one is answered again from the newest build. */
export const staleAnswers = new WeakMap<Response, Sent>()
