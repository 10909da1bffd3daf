// When the worker asks the browser for a new deploy's worker: once a page runs, not while the navigation that found
// the deploy is answered. Asked during the navigation, the new worker could install and take over as the new page
// commits, before that page can hear of it, and Chromium then sent the page's requests to the network, the
// downloader's included (docs/engine.md, "The new deploy's worker is asked for once a page runs"). In Node, with the
// worker's scope faked.
import { build, deploy, openPages } from './helpers/worker-scope.ts'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { onMessage } from '../runtime/worker/inbox.ts'
import type { ExtendableMessageEvent } from '../runtime/worker/scope.ts'
import { loadManifest, refreshManifest } from '../runtime/worker/site.ts'

let updates = 0
;(globalThis as unknown as { registration: { update: () => Promise<void> } }).registration.update = async () => { updates++ }

/** Page `id` running its install script: it says hello. */
function hello (id: string): void {
  openPages.add(id)
  const work: Array<Promise<unknown>> = []
  onMessage({ data: { type: 'hello', webrtc: true }, source: { id, url: 'https://site.test/', postMessage: () => {} }, ports: [], waitUntil: (p: Promise<unknown>) => { work.push(p) } } as unknown as ExtendableMessageEvent)
}

const test = suite('a new deploy\'s worker is asked for once a page runs')

test('a check that finds a new deploy does not ask for its worker; the next page\'s hello does, once', async () => {
  deploy(build('update-a', { 'index.html': 'a' }))
  assert.is((await loadManifest())?.buildId, 'update-a')
  hello('before')
  assert.is(updates, 0, 'no new deploy found yet: a hello asks for nothing')

  deploy(build('update-b', { 'index.html': 'b' }))
  assert.is((await refreshManifest())?.buildId, 'update-b', 'the check adopted the new deploy')
  assert.is(updates, 0, 'not asked while the navigation that checked is being answered')

  hello('after')
  assert.is(updates, 1, 'the page that runs next asks for it')
  hello('another')
  assert.is(updates, 1, 'once per deploy found (update: auto adopts it), however many pages say hello')
})

test.after(() => { setTimeout(() => process.exit(), 100) })
test.run()
