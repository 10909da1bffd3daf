// The old worker's hold while a deploy's worker waits (runtime/worker/lifecycle.ts, holdOn), in Node: which events it
// keeps open and what ends the hold. The browser test (browser-takeover.test.ts) shows why; this one pins the rule.
// Each case loads its own instance of lifecycle.ts, since the hold is decided when the worker starts.
import { build, deploy, fetchEvent } from './helpers/worker-scope.ts'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
// The worker's first look at the origin (refreshManifest) is the second test's: it checks at most every 3 s.
import { loadManifest, refreshManifest } from '../runtime/worker/site.ts'

type Lifecycle = typeof import('../runtime/worker/lifecycle.ts')
const registration = (globalThis as unknown as { registration: { waiting: object | null } }).registration

/** A worker starting now, with a newer one waiting or not. */
async function start (name: string, waiting: boolean): Promise<Lifecycle> {
  registration.waiting = waiting ? {} : null
  try {
    return await import(`../runtime/worker/lifecycle.ts?worker=${name}`) as Lifecycle
  } finally {
    registration.waiting = null
  }
}

/** Whether `p` settles within a few turns of the event loop (the hold's own work is a store read, done by then). */
async function settles (p: Promise<unknown>): Promise<boolean> {
  let done = false
  void p.then(() => { done = true }, () => { done = true })
  for (let i = 0; i < 20 && !done; i++) await new Promise(resolve => setTimeout(resolve, 5))
  return done
}

test("with update: 'prompt', the old worker holds nothing: the new one waits for planktos.update(), which a hold would delay", async () => {
  deploy(build('prompt-1', { 'index.html': 'a' }, { update: 'prompt' }))
  assert.is((await loadManifest())?.buildId, 'prompt-1', 'the worker knows a prompt build')
  const worker = await start('prompt', true)
  const event = fetchEvent('/style.css')
  worker.holdOn(event as never)
  assert.ok(await settles(event.settled()), 'the event was let go')
  worker.holdOn(fetchEvent('/', { mode: 'navigate' }) as never)
})

test('a worker that starts while a newer one waits keeps fetch and message events open until a navigation comes', async () => {
  deploy(build('auto-1', { 'index.html': 'b' }))
  assert.is((await refreshManifest())?.buildId, 'auto-1', 'the worker knows an auto build')
  const worker = await start('held', true)
  const fetch = fetchEvent('/style.css')
  worker.holdOn(fetch as never)
  const work: Array<Promise<unknown>> = []
  const message = { data: { type: 'hello' }, waitUntil: (p: Promise<unknown>) => { work.push(p) } }
  worker.holdOn(message as never)
  assert.is(work.length, 1, 'the message event is extended')
  assert.not.ok(await settles(fetch.settled()), 'the fetch event is held')
  assert.not.ok(await settles(Promise.all(work)), 'the message event is held')
  // A navigation ends the hold (its own event stays open while the worker answers it, as any navigation's does).
  const navigation = fetchEvent('/about/', { mode: 'navigate' })
  worker.holdOn(navigation as never)
  assert.ok(await settles(Promise.all([fetch.settled(), ...work, navigation.settled()])), 'all let go at the navigation')
  // And later events are not held again.
  const later = fetchEvent('/style.css')
  worker.holdOn(later as never)
  assert.ok(await settles(later.settled()), 'a later event is let go')
})

test('a waiting worker started to be told to skip waiting (it sees itself waiting) holds nothing', async () => {
  const self = {}
  const g = globalThis as unknown as { serviceWorker?: object }
  g.serviceWorker = self
  registration.waiting = self
  try {
    const worker = await import('../runtime/worker/lifecycle.ts?worker=waiting') as Lifecycle
    const event = fetchEvent('/style.css')
    worker.holdOn(event as never)
    assert.ok(await settles(event.settled()), 'the event was let go')
  } finally {
    registration.waiting = null
    delete g.serviceWorker
  }
})

test('a worker that starts with no newer one waiting holds nothing', async () => {
  const worker = await start('alone', false)
  const event = fetchEvent('/style.css')
  worker.holdOn(event as never)
  assert.ok(await settles(event.settled()), 'the event was let go')
})

test.run()
