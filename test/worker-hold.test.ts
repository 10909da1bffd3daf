// The old worker's hold while a deploy's worker waits (runtime/worker/lifecycle.ts, holdOn), in Node: which events it
// keeps open, when, and what ends the hold. The browser test (browser-takeover.test.ts) shows why; this one pins the
// rule. Each case loads its own instance of lifecycle.ts, since the hold is decided when the worker starts.
import { build, deploy, fetchEvent } from './helpers/worker-scope.ts'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { store } from '../runtime/worker/storage.ts'

type Lifecycle = typeof import('../runtime/worker/lifecycle.ts')
interface Scope { serviceWorker?: object, registration: { active: object | null, waiting: object | null }, skipWaiting (): Promise<void> }
const g = globalThis as unknown as Scope
/** The 4 minutes in lifecycle.ts: the hold ends then, before Chromium removes the old worker at 5. */
const HOLD_MAX = 240_000
/** The store key the new worker notes its skipWaiting() under. */
const SKIPPED = 'skipped-at'

let instances = 0
/** A worker starting now: `self` is which of the registration's workers it is. */
async function start (self: 'active' | 'waiting', waiting: boolean): Promise<Lifecycle> {
  const me = {}
  const other = {}
  g.serviceWorker = me
  g.registration.active = self === 'active' ? me : other
  g.registration.waiting = !waiting ? null : self === 'waiting' ? me : other
  try {
    return await import(`../runtime/worker/lifecycle.ts?worker=${++instances}`) as Lifecycle
  } finally {
    g.registration.active = g.registration.waiting = null
    delete g.serviceWorker
  }
}

const noteSkipped = async (at: number | undefined): Promise<void> => {
  const db = (await store())!
  await (at === undefined ? db.deleteMeta(SKIPPED) : db.setMeta(SKIPPED, at))
}

/** Whether `p` settles within a few turns of the event loop (the hold's own work is a store read, done by then). */
async function settles (p: Promise<unknown>): Promise<boolean> {
  let done = false
  void p.then(() => { done = true }, () => { done = true })
  for (let i = 0; i < 20 && !done; i++) await new Promise(resolve => setTimeout(resolve, 5))
  return done
}

async function held (worker: Lifecycle): Promise<boolean> {
  const event = fetchEvent('/style.css')
  worker.holdOn(event as never)
  return !await settles(event.settled())
}

test('the active worker, started while a newer one waits having called skipWaiting(), holds its events until a navigation', async () => {
  // Less than the 4 minutes ago: a few seconds of hold left, so the bound's timer does not keep the test waiting.
  await noteSkipped(Date.now() - HOLD_MAX + 3_000)
  const worker = await start('active', true)
  const fetch = fetchEvent('/style.css')
  worker.holdOn(fetch as never)
  const work: Array<Promise<unknown>> = []
  worker.holdOn({ data: { type: 'hello' }, waitUntil: (p: Promise<unknown>) => { work.push(p) } } as never)
  assert.is(work.length, 1, 'the message event is extended')
  assert.not.ok(await settles(fetch.settled()), 'the fetch event is held')
  assert.not.ok(await settles(Promise.all(work)), 'the message event is held')
  // A navigation ends the hold; its own event is left to the worker's answer.
  const navigation = fetchEvent('/about/', { mode: 'navigate' })
  worker.holdOn(navigation as never)
  assert.ok(await settles(Promise.all([fetch.settled(), ...work])), 'all let go at the navigation')
  assert.not.ok(await held(worker), 'a later event is let go')
})

test('the hold ends 4 minutes after the new worker called skipWaiting(), before Chromium removes the old one at 5', async () => {
  await noteSkipped(Date.now() - HOLD_MAX - 1_000)
  assert.not.ok(await held(await start('active', true)), 'skipWaiting() called 4 min 1 s ago')
  await noteSkipped(Date.now() - HOLD_MAX + 3_000)
  assert.ok(await held(await start('active', true)), 'skipWaiting() called 3 min 57 s ago')
})

test("a new worker waiting for planktos.update() (update: 'prompt', no skipWaiting() yet) is not held up", async () => {
  await noteSkipped(undefined)
  assert.not.ok(await held(await start('active', true)))
})

test('the waiting worker itself, started to be told to skip waiting, holds nothing', async () => {
  await noteSkipped(Date.now())
  assert.not.ok(await held(await start('waiting', true)))
})

test('a worker with no newer one waiting holds nothing', async () => {
  await noteSkipped(Date.now())
  assert.not.ok(await held(await start('active', false)))
})

test("skipWaiting() is noted before it is called, and the note goes once the new worker activates", async () => {
  await noteSkipped(undefined)
  // The origin has a build, as it has when a deploy's worker activates (without one, the worker steps aside).
  deploy(build('b1', { 'index.html': 'a' }))
  const worker = await start('waiting', true)
  let noted: unknown
  g.skipWaiting = async () => { noted = await (await store())!.getMeta(SKIPPED) }
  const before = Date.now()
  await worker.skipWaiting()
  assert.ok(typeof noted === 'number' && noted >= before, `noted ${String(noted)}`)
  const work: Array<Promise<unknown>> = []
  worker.onActivate({ waitUntil: (p: Promise<unknown>) => { work.push(p) } } as never)
  await Promise.all(work)
  assert.is(await (await store())!.getMeta(SKIPPED), undefined, 'the note after activation')
})

test.run()
