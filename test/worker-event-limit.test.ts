// A request's event keeps the worker for work that outlives its response (the rest of a download) for at most
// EVENT_MAX: Chromium errors a response whose event it was asked to keep for 5 minutes, even while it streams, so a
// download that took longer than that failed where the site without planktos delivers it.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Found } from '../runtime/worker/site.ts'
import type { FetchEvent } from '../runtime/worker/scope.ts'
import { EVENT_MAX, fileRequest } from '../runtime/worker/file-request.ts'

/** Chromium's limit on keeping one event (its service worker request timeout). */
const CHROMIUM_EVENT_LIMIT = 5 * 60_000

/** The promises a fake fetch event was asked to wait for, and the timers set while handing it `work`. */
function keep (work: Promise<unknown>): { kept: Array<Promise<unknown>>, timers: Array<{ run: () => void, ms: number }> } {
  const kept: Array<Promise<unknown>> = []
  const event = { request: new Request('https://site.test/files/big.bin'), clientId: 'page-1', waitUntil: (p: Promise<unknown>) => kept.push(p) }
  const timers: Array<{ run: () => void, ms: number }> = []
  const plain = globalThis.setTimeout
  globalThis.setTimeout = ((run: () => void, ms: number) => { timers.push({ run, ms }); return 0 }) as typeof setTimeout
  try {
    fileRequest({} as Found, event as unknown as FetchEvent).waitUntil(work)
  } finally {
    globalThis.setTimeout = plain
  }
  return { kept, timers }
}

const settled = async (p: Promise<unknown>): Promise<boolean> => {
  let done = false
  void p.then(() => { done = true })
  for (let i = 0; i < 5; i++) await Promise.resolve()
  return done
}

test('work that never ends keeps the event no longer than EVENT_MAX, within Chromium\'s 5 minutes', async () => {
  const { kept, timers } = keep(new Promise(() => {}))
  assert.is(kept.length, 1)
  assert.not.ok(await settled(kept[0]!), 'the event is kept while the work runs')
  const limit = timers.find(t => t.ms === EVENT_MAX)
  assert.ok(limit, 'a timer ends the event\'s wait')
  assert.ok(EVENT_MAX <= CHROMIUM_EVENT_LIMIT - 30_000, `${EVENT_MAX} ms leaves Chromium's limit a margin`)
  limit.run()
  assert.ok(await settled(kept[0]!), 'the event is released once EVENT_MAX has passed')
})

test('work that ends sooner releases the event when it ends, as before', async () => {
  let end!: () => void
  const { kept } = keep(new Promise<void>(resolve => { end = resolve }))
  assert.not.ok(await settled(kept[0]!))
  end()
  assert.ok(await settled(kept[0]!))
})

test.run()
