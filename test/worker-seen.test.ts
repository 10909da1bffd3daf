// The files a page loaded before the worker controlled it (install.js's `seen` message), in Node: the worker takes
// them from the HTTP cache only. A file the cache does not hold yet (a page still arriving when the visitor clicked
// the moment the worker took over) is left for later, never fetched from the origin a second time.
import { ORIGIN, build, deploy, origin } from './helpers/worker-scope.ts'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { onMessage } from '../runtime/worker/inbox.ts'
import type { ExtendableMessageEvent } from '../runtime/worker/scope.ts'
import { loadManifest } from '../runtime/worker/site.ts'

const SITE = build('build-seen', { 'index.html': 'index', 'about/index.html': 'about' })
deploy(SITE)
origin.up = true

const test = suite('files a page loaded before the worker controlled it')

test('come from the HTTP cache only: what it lacks is not asked of the origin', async () => {
  await loadManifest()
  // The fake origin: the manifest and parts as usual; site files counted, the HTTP cache empty.
  const plain = globalThis.fetch
  const asked: string[] = []
  globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url, ORIGIN)
    if (url.pathname.startsWith('/planktos')) return plain(input, init)
    if (init?.cache === 'only-if-cached') return new Response(null, { status: 504 })
    asked.push(url.pathname)
    return new Response('x'.repeat(100))
  }
  try {
    const work: Array<Promise<unknown>> = []
    const event = { data: { type: 'seen', urls: [`${ORIGIN}/about/`, `${ORIGIN}/`] }, source: null, ports: [], waitUntil: (p: Promise<unknown>) => { work.push(p) } }
    onMessage(event as unknown as ExtendableMessageEvent)
    assert.is(work.length, 1, 'the worker took the message')
    await Promise.all(work)
    assert.equal(asked, [], 'the origin was not asked for the pages')
  } finally {
    globalThis.fetch = plain
  }
})

test.run()
