// The worker's decisions, in Node: which build answers a request (a page never mixes two deploys), and which
// builds and files pruning drops after a deploy. The worker's scope is faked (test/helpers/worker-scope.ts); the
// store is IndexedDB in memory. Each suite is one visitor's story, step by step, as the worker lives it.
import { openPages, build, deploy, fetchEvent, origin } from './helpers/worker-scope.ts'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { loadManifestFor, manifestFor, superseded } from '../runtime/worker/builds.ts'
import type { FetchEvent } from '../runtime/worker/scope.ts'
import { prune } from '../runtime/worker/prune.ts'
import { BUILD_PREFIX, lookup } from '../runtime/worker/site.ts'
import { store } from '../runtime/worker/storage.ts'

// Navigations look for a new deploy at most every 3 s: the tests move the clock instead of waiting.
const realNow = Date.now
let skew = 0
Date.now = () => realNow() + skew
const later = (): void => { skew += 60_000 }

const A_FILES = { 'index.html': 'a-index', 'old.html': 'a-old', 'same.css': 'shared' }
const B_FILES = { 'index.html': 'b-index', 'same.css': 'shared' }
const A = build('build-a', A_FILES)
const B = build('build-b', B_FILES)

/** The build the worker picks for `event`, from memory if it can, as the fetch handler does. */
async function buildFor (event: ReturnType<typeof fetchEvent>): Promise<string | undefined> {
  const e = event as unknown as FetchEvent
  const m = manifestFor(e) ?? await loadManifestFor(e)
  await event.settled()
  return m?.buildId
}

const navigate = (page: string): ReturnType<typeof fetchEvent> => fetchEvent('/', { mode: 'navigate', resultingClientId: page })
const asset = (page: string): ReturnType<typeof fetchEvent> => fetchEvent('/same.css', { clientId: page })

const choice = suite('which build answers a request')

choice('a first navigation gets the deployed build, and its page stays on it', async () => {
  deploy(A)
  openPages.add('p1')
  assert.is(await buildFor(navigate('p1')), 'build-a')
  assert.is(await buildFor(asset('p1')), 'build-a')
})

choice('after a deploy, the navigation that finds it still gets the old build, the next one the new build', async () => {
  deploy(B)
  later()
  openPages.add('p2')
  // The check for a deploy starts with this navigation and is not under way before it: nothing to wait for.
  assert.is(await buildFor(navigate('p2')), 'build-a')
  openPages.add('p3')
  assert.is(await buildFor(navigate('p3')), 'build-b')
})

choice('a page keeps the build it loaded with: its subresources never come from another deploy', async () => {
  assert.is(await buildFor(asset('p1')), 'build-a')
  assert.is(await buildFor(asset('p2')), 'build-a')
  assert.is(await buildFor(asset('p3')), 'build-b')
})

choice('a page the worker has not seen before (loaded before it took control) gets the newest build, and keeps it', async () => {
  openPages.add('p4')
  assert.is(await buildFor(asset('p4')), 'build-b')
  deploy(build('build-c', { 'index.html': 'c-index' }))
  later()
  openPages.add('p5')
  await buildFor(navigate('p5'))
  assert.is(await buildFor(asset('p4')), 'build-b')
  // C is withdrawn (a rollback to B): the next navigation finds B again.
  deploy(B)
  later()
  openPages.add('p6')
  await buildFor(navigate('p6'))
  assert.is(await buildFor(navigate('p6')), 'build-b')
})

choice('only a build older than the newest counts as superseded', async () => {
  assert.ok(await superseded(A.manifest))
})

choice('a page another worker pinned since (an older worker that answered its navigation as this one took over) gets that build', async () => {
  // p2 is on build A in this worker's memory; the other worker moved it to B in the store after this one read it.
  assert.is(await buildFor(asset('p2')), 'build-a')
  const db = await store()
  const saved = await db!.getMeta<Record<string, string>>('clients')
  await db!.setMeta('clients', { ...saved, p2: 'build-b' })
  assert.is(await buildFor(asset('p2')), 'build-b')
  assert.is(await buildFor(asset('p1')), 'build-a', 'the other pages keep theirs')
})

choice.run()

const pruning = suite('pruning after a deploy')

/** Which of the builds' files the store holds, by content (files are stored by SHA-256, once for both builds). */
async function held (): Promise<string[]> {
  const db = (await store())!
  const contents = new Map<string, string>()
  for (const [b, files] of [[A, A_FILES], [B, B_FILES]] as const) {
    for (const f of b.part.files) contents.set(f.sha256, files[f.path as keyof typeof files])
  }
  const out: string[] = []
  for (const [sha, content] of contents) if (await db.record(sha)) out.push(content)
  return out.sort()
}

pruning.before(async () => {
  // Back to two builds: A (pages p1, p2) and B, the newest (p3, p4, p6); p5's build C is gone from the origin.
  const db = (await store())!
  for (const b of [A, B]) {
    for (const f of b.part.files) await db.putFile(f.sha256, new Uint8Array(f.size))
  }
  // The worker looked up A's files (so it stored A's part); B's part it has never needed.
  await lookup('index.html', A.manifest)
  openPages.delete('p5')
})

pruning('a build an open page still uses is kept, with its files', async () => {
  await prune()
  const db = (await store())!
  assert.ok(await db.getMeta(BUILD_PREFIX + 'build-a'))
  assert.equal(await held(), ['a-index', 'a-old', 'b-index', 'shared'])
})

pruning('with the origin down and the newest build\'s file list unknown, no file is dropped (a later run will)', async () => {
  openPages.delete('p1')
  openPages.delete('p2')
  origin.up = false
  await prune()
  assert.equal(await held(), ['a-index', 'a-old', 'b-index', 'shared'], 'files only the old build lists stay until the new one is known')
  origin.up = true
})

pruning('once no page uses a build, it goes, with the files only it listed; files the newest build shares stay', async () => {
  const db = (await store())!
  // What pages keep of a shard: its piece hashes, and (before manifest version 2) its .torrent.
  const a = A.manifest.shards[0]!.infoHash
  const b = B.manifest.shards[0]!.infoHash
  assert.is.not(a, b)
  for (const key of [`pieces:${a}`, `pieces:${b}`, `torrent:${a}`]) await db.setMeta(key, new Uint8Array(20))
  await prune()
  assert.is(await db.getMeta(BUILD_PREFIX + 'build-a'), undefined, 'the old manifest is gone')
  assert.ok(await db.getMeta(BUILD_PREFIX + 'build-b'), 'the newest stays')
  assert.equal(await held(), ['b-index', 'shared'])
  assert.is(await db.getMeta(`part:${A.manifest.shards[0]!.part}`), undefined, 'the old part is gone')
  assert.is(await db.getMeta(`pieces:${a}`), undefined, 'the old shard\'s piece hashes are gone')
  assert.is(await db.getMeta(`torrent:${a}`), undefined, 'the old shard\'s .torrent is gone')
  assert.ok(await db.getMeta(`pieces:${b}`), 'the newest build\'s piece hashes stay')
})

pruning('a page restored after its build was pruned gets the newest build', async () => {
  openPages.add('p1')
  assert.is(await buildFor(asset('p1')), 'build-b')
})

pruning.run()
