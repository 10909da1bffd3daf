// A page's late script, style, font or image (asked for after the worker claimed the page) of a shard whose part the
// worker does not hold: until the visitor stays, when no file of the shard is large enough to start a downloader
// (ShardRef.largest below WAKE_FROM), the part would only let the worker fetch from the origin what the page asked for,
// so the origin answers by itself and the file is noted like the first page's own (seen.ts). Everything else keeps the
// worker's answer, which loads the part. In Node, with the fake origin of helpers/worker-scope.ts.
import { ORIGIN, build, origin } from './helpers/worker-scope.ts'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createHash } from 'node:crypto'
import { MANIFEST_VERSION, type FileEntry, type ShardPart, type ShardRef } from '../runtime/shared/manifest.ts'
import { noteWebRTC } from '../runtime/worker/pages.ts'
import { WAKE_FROM } from '../runtime/worker/peers-help.ts'
import { onFetch } from '../runtime/worker/route.ts'
import type { FetchEvent } from '../runtime/worker/scope.ts'
import { loadManifest, refreshManifest } from '../runtime/worker/site.ts'
import { store } from '../runtime/worker/storage.ts'

const hash = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex')

/**
 * One shard of `folder/index.html` and `folder/app.js` as the builder writes it (real SHA-256s, the part named by its
 * hash), served by the fake origin; its largest file `largest` bytes (undefined: not written).
 */
function shard (folder: string, largest: number | undefined): { ref: ShardRef, part: ShardPart } {
  const files: FileEntry[] = []
  for (const name of ['app.js', 'index.html']) {
    const path = `${folder}/${name}`
    const bytes = new TextEncoder().encode(`${path} of the site`)
    origin.files.set(path, bytes)
    files.push({ path, size: bytes.length, sha256: hash(bytes), type: name.endsWith('.js') ? 'text/javascript' : 'text/html', offset: files.reduce((n, f) => n + f.size, 0) })
  }
  const infoHash = hash(folder).slice(0, 40)
  const part: ShardPart = { version: MANIFEST_VERSION, infoHash, name: folder, pieceLength: 16384, files }
  const ref: ShardRef = { infoHash, torrent: `planktos/t/${infoHash}.torrent`, part: `planktos/p/${hash(JSON.stringify(part)).slice(0, 20)}.json`, size: 0, files: 2, first: files[0]!.path, last: files[1]!.path }
  if (largest !== undefined) ref.largest = largest
  origin.parts.set(ref.part, part)
  return { ref, part }
}

// A shard per case that loads its part: once loaded, the worker holds it for good.
const SMALL = WAKE_FROM - 1
const shards = {
  small: shard('small', SMALL),
  large: shard('large', WAKE_FROM),
  unknown: shard('unknown', undefined),
  fetch: shard('fetch', SMALL),
  audio: shard('audio', SMALL),
  stored: shard('stored', SMALL),
  later: shard('later', SMALL),
  older: shard('older', SMALL),
  noRTC: shard('nortc', SMALL)
}
const SITE = build('late-files', { 'index.html': 'front page' })
SITE.manifest.shards = Object.values(shards).map(s => s.ref).sort((a, b) => a.first < b.first ? -1 : 1)
// Not deploy(): it would serve SITE's own part under the first shard's name.
origin.manifest = SITE.manifest
origin.up = true

interface Asked {
  /** Requests for the shard's part. */
  parts: number
  /** Whether the page's own Request went to the network, as without planktos. */
  passed: boolean
  status: number
}

/** Runs a request for `path` with `destination` through the worker's fetch handler; what it asked the origin for. */
async function ask (path: string, destination: string, { ref }: { ref: ShardRef }, mode: RequestMode = 'no-cors'): Promise<Asked> {
  const plain = globalThis.fetch
  const asked = { parts: 0, passed: false, status: 0 }
  const request = new Request(`${ORIGIN}/${path}`)
  Object.defineProperty(request, 'destination', { value: destination })
  Object.defineProperty(request, 'mode', { value: mode })
  globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
    if (input === request) asked.passed = true
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    if (new URL(url, ORIGIN).pathname === '/' + ref.part) asked.parts++
    return plain(input, init)
  }
  const work: Array<Promise<unknown>> = []
  let answer: Promise<Response> | undefined
  const event = {
    request,
    clientId: mode === 'navigate' ? '' : 'page-1',
    resultingClientId: mode === 'navigate' ? 'page-1' : '',
    waitUntil: (p: Promise<unknown>) => { work.push(p) },
    respondWith: (p: Promise<Response>) => { answer = p }
  }
  try {
    onFetch(event as unknown as FetchEvent)
    assert.ok(answer, 'the worker answered')
    asked.status = (await answer).status
    await Promise.all(work)
  } finally {
    globalThis.fetch = plain
  }
  return asked
}

const noted = async (): Promise<string[]> => (await (await store())!.getMeta<{ urls: string[] }>('seen'))?.urls ?? []

const test = suite('late files of a shard whose part the worker does not hold')

test('a late script of a shard with no large file: the origin answers it by itself, no part, noted for a visitor who stays', async () => {
  await loadManifest()
  assert.equal(await ask('small/app.js', 'script', shards.small), { parts: 0, passed: true, status: 200 })
  assert.equal(await noted(), [`${ORIGIN}/small/app.js`], 'noted, to be stored if the visitor stays')
})

test('so are a style, a font and an image', async () => {
  for (const destination of ['style', 'font', 'image']) {
    assert.equal(await ask('small/index.html', destination, shards.small), { parts: 0, passed: true, status: 200 }, destination)
  }
  assert.ok((await noted()).includes(`${ORIGIN}/small/index.html`), 'noted')
})

test('a fetch() (which may be a page) and a media file: the worker answers, with the part', async () => {
  assert.equal(await ask('audio/app.js', 'audio', shards.audio), { parts: 1, passed: false, status: 200 })
  assert.equal(await ask('fetch/app.js', '', shards.fetch), { parts: 1, passed: false, status: 200 })
})

test('a shard with a file large enough to start a downloader, or one whose largest file is not written: the worker answers, with the part', async () => {
  assert.equal(await ask('large/app.js', 'script', shards.large), { parts: 1, passed: false, status: 200 })
  assert.equal(await ask('unknown/app.js', 'script', shards.unknown), { parts: 1, passed: false, status: 200 })
})

test('a part kept in the store counts as held (as a worker the browser restarted finds it): the worker answers', async () => {
  await (await store())!.setMeta(`part:${shards.stored.ref.part}`, shards.stored.part)
  assert.equal(await ask('stored/app.js', 'script', shards.stored), { parts: 0, passed: false, status: 200 })
})

test('in a browser without WebRTC the worker answers, with the part: a first page\'s files are stored at once there', async () => {
  await noteWebRTC(false)
  try {
    assert.equal(await ask('nortc/app.js', 'script', shards.noRTC), { parts: 1, passed: false, status: 200 })
  } finally {
    await noteWebRTC(true)
  }
})

test('a page of an older build than the newest: the worker answers, with the part (the origin has only the newest deploy)', async () => {
  // The page asking is pinned to the build it met first; then a deploy.
  assert.equal(await ask('older/index.html', 'image', shards.older), { parts: 0, passed: true, status: 200 }, 'before the deploy')
  /** Deploys `manifest` and lets the worker see it (its checks are at least 3 s apart: the clock moves instead). */
  const redeploy = async (manifest: typeof SITE.manifest, skew: number): Promise<string | undefined> => {
    origin.manifest = manifest
    const now = Date.now
    Date.now = () => now() + skew
    try {
      return (await refreshManifest())?.buildId
    } finally {
      Date.now = now
    }
  }
  assert.is(await redeploy({ ...SITE.manifest, buildId: 'late-files-2' }, 60_000), 'late-files-2', 'the worker saw the deploy')
  try {
    assert.equal(await ask('older/app.js', 'script', shards.older), { parts: 1, passed: false, status: 200 })
  } finally {
    // Rolled back, so that the first page's note (kept with its build) still counts below.
    assert.is(await redeploy(SITE.manifest, 120_000), SITE.manifest.buildId, 'rolled back')
  }
})

test('once the visitor opens another page, it stays: the noted files are stored, and later pages\' late files are the worker\'s', async () => {
  assert.is((await ask('small/', 'document', shards.small, 'navigate')).parts, 1, 'the navigation fetched the part')
  assert.equal(await noted(), [], 'the note was taken')
  const db = (await store())!
  for (const f of shards.small.part.files) assert.ok((await db.record(f.sha256))?.complete, `${f.path} stored`)
  assert.equal(await ask('small/app.js', 'script', shards.small), { parts: 0, passed: false, status: 200 }, 'its part is held')
  assert.equal(await ask('later/app.js', 'script', shards.later), { parts: 1, passed: false, status: 200 }, 'a shard not held yet')
})

test.run()
