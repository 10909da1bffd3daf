// The worker's hedging between peers and the origin for a small site file, in Node (faked scope, IndexedDB in
// memory, pages scripted on the worker's own message protocol): peers that deliver win and the origin is never
// asked; a silent page loses to the origin; a page whose verified bytes keep growing holds the origin off however
// long it takes, while one that repeats the same count does not (a peer cannot hold a load open by talking); a page
// that says `miss`, bytes that fail the file's SHA-256, and a browser with no page to ask all go to the origin at
// once. Checked by bytes and by which sources were asked, never by time: "at once" cases use a `peerTimeout` far
// longer than the test's own limit, so a worker that waited for it would fail the test instead of passing slowly.
import { ORIGIN, build, deploy, openPages, origin, pageScripts } from './helpers/worker-scope.ts'
import { createHash } from 'node:crypto'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { FileRef, Message } from '../runtime/shared/messages.ts'
import { noteHello } from '../runtime/worker/pages.ts'
import { lookup, type Found } from '../runtime/worker/site.ts'
import { answerFile } from '../runtime/worker/sources.ts'

/** Short, so the cases that do wait for it stay quick, yet 20 of the scripted pages' 50 ms reports long. */
const SHORT = 1000
/** Far beyond LIMIT: a worker that waits for it fails the test. */
const LONG = 60_000
/** A hang, not a time measurement. */
const LIMIT = 15_000

const NAMES = ['deliver', 'silent', 'growing', 'repeating', 'miss', 'wrong', 'nobody', 'given-up', 'given-up-early', 'given-up-before']
/** About 38 KB of bytes particular to `path`. */
const bytesOf = (path: string): Uint8Array => new TextEncoder().encode(createHash('sha512').update(path).digest('hex').repeat(300))
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

/**
 * A build of one page per case under `id/`, with real bytes (the scope helper labels them), announcing to a tracker,
 * its files served by the origin.
 */
function hedgeBuild (id: string, peerTimeout: number): ReturnType<typeof build> {
  const b = build(id, Object.fromEntries(NAMES.map(n => [`${id}/${n}.html`, `${id}:${n}`])), { announce: ['ws://127.0.0.1:9/announce'], peerTimeout })
  for (const entry of b.part.files) {
    const bytes = bytesOf(entry.path)
    entry.size = bytes.length
    entry.sha256 = sha(bytes)
    origin.files.set(entry.path, bytes)
  }
  deploy(b)
  return b
}

const SHORT_BUILD = hedgeBuild('short', SHORT)
const LONG_BUILD = hedgeBuild('long', LONG)

/** What a scripted page does with the worker's request for a file, given the port to answer on. */
type Script = (port: MessagePort, file: FileRef, post: (m: Message) => void) => void

/** Opens page `id` (its install script said hello) that answers peer requests with `script`; returns the paths it was asked for. */
async function page (id: string, script: Script): Promise<string[]> {
  const asked: string[] = []
  openPages.add(id)
  await noteHello(id)
  pageScripts.set(id, (m, transfer) => {
    const message = m as Message
    if (message.type !== 'peer-request') return
    asked.push(message.file.path)
    const port = transfer[0] as MessagePort
    port.start()
    script(port, message.file, out => port.postMessage(out))
  })
  return asked
}

/** The worker's answer to `request` for `found` from page `clientId`; a failure after LIMIT ms (a hang). */
function answerWithin (found: Found, request: Request, clientId: string): Promise<Response> {
  return Promise.race([
    answerFile({ found, request, requester: clientId, waitUntil: () => {} }),
    new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error(`the worker had not answered ${found.entry.path} after ${LIMIT} ms`)), LIMIT).unref())
  ])
}

/** The worker's response to a page's request for `path` of build `b`: its source header, and whether its bytes are the file's. */
async function ask (b: ReturnType<typeof build>, path: string, clientId: string): Promise<{ source: string | null, right: boolean, fromOrigin: number }> {
  const found = await lookup(path, b.manifest)
  assert.ok(found, `${path} is in the build`)
  const before = origin.fetched.length
  const response = await answerWithin(found!, new Request(`${ORIGIN}/${path}`), clientId)
  const bytes = new Uint8Array(await response.arrayBuffer())
  return {
    source: response.headers.get('X-Planktos-Source'),
    right: bytes.length === found!.entry.size && sha(bytes) === found!.entry.sha256,
    fromOrigin: origin.fetched.slice(before).filter(p => p === path).length
  }
}

/** Answers `ready`, then the whole file (or `bytes`) on the first pull. */
function deliver (bytes?: (file: FileRef) => Uint8Array): Script {
  return (port, file, post) => {
    post({ type: 'ready', size: file.size })
    port.onmessage = (e) => {
      if ((e.data as Message).type !== 'pull') return
      const body = (bytes?.(file) ?? origin.files.get(file.path)!).slice()
      post({ type: 'chunk', bytes: body.buffer, last: true })
    }
  }
}

/** Reports progress every 50 ms, `count(n)` verified bytes at report n, for `reports` reports (or until cancelled); then `then`. */
function reporting (count: (n: number) => number, reports: number, then?: Script): Script {
  return (port, file, post) => {
    let n = 0
    const timer = setInterval(() => {
      if (++n > reports) {
        clearInterval(timer)
        return then?.(port, file, post)
      }
      post({ type: 'progress', bytes: count(n) })
    }, 50)
    port.onmessage = (e) => { if ((e.data as Message).type === 'cancel') clearInterval(timer) }
  }
}

const test = suite('the worker hedges a small file between peers and the origin')

// The worker's own waits (a LONG peerTimeout the "at once" cases never reach) would keep Node running for a minute
// after the last case: once uvu has reported, the process ends with the exit code uvu set.
test.after(() => { setTimeout(() => process.exit(), 100) })

test('a page whose peers deliver the file answers it; the origin is not asked', async () => {
  const asked = await page('p-deliver', deliver())
  const got = await ask(SHORT_BUILD, 'short/deliver.html', 'p-deliver')
  assert.equal(asked, ['short/deliver.html'])
  assert.is(got.source, 'peers')
  assert.ok(got.right, 'the response carries the file\'s bytes')
  assert.is(got.fromOrigin, 0)
})

test('a silent page loses to the origin once peerTimeout passed without progress', async () => {
  const asked = await page('p-silent', () => {})
  const got = await ask(SHORT_BUILD, 'short/silent.html', 'p-silent')
  assert.equal(asked, ['short/silent.html'], 'the page was asked first')
  assert.is(got.source, 'origin')
  assert.ok(got.right)
  assert.is(got.fromOrigin, 1)
})

test('verified bytes that keep growing hold the origin off for as long as they grow', async () => {
  // Growing for 4 × peerTimeout before the page is ready.
  await page('p-growing', reporting(n => n * 1000, Math.ceil(4 * SHORT / 50), deliver()))
  const got = await ask(SHORT_BUILD, 'short/growing.html', 'p-growing')
  assert.is(got.source, 'peers')
  assert.ok(got.right)
  assert.is(got.fromOrigin, 0, 'the origin was not asked while the page reported more verified bytes')
})

test('a page repeating the same progress does not hold the response: the origin answers', async () => {
  // The same count again and again, until the worker cancels: talk that is not progress.
  await page('p-repeating', reporting(() => 1000, Infinity))
  const got = await ask(SHORT_BUILD, 'short/repeating.html', 'p-repeating')
  assert.is(got.source, 'origin')
  assert.ok(got.right)
  assert.is(got.fromOrigin, 1)
})

test('a page that says miss sends the request to the origin at once, not after peerTimeout', async () => {
  const asked = await page('p-miss', (_port, _file, post) => post({ type: 'miss' }))
  const got = await ask(LONG_BUILD, 'long/miss.html', 'p-miss')
  assert.equal(asked, ['long/miss.html'])
  assert.is(got.source, 'origin')
  assert.ok(got.right)
  assert.is(got.fromOrigin, 1)
})

test('bytes from peers that fail the file\'s SHA-256 never reach the page: the origin answers at once', async () => {
  const asked = await page('p-wrong', deliver(file => new Uint8Array(file.size).fill(7)))
  const got = await ask(LONG_BUILD, 'long/wrong.html', 'p-wrong')
  assert.equal(asked, ['long/wrong.html'])
  assert.is(got.source, 'origin')
  assert.ok(got.right, 'the response carries the file\'s bytes, not the peers\' ones')
  assert.is(got.fromOrigin, 1)
})

/** The worker's answer to a request the page gives up after `ms`, with what the page was told and what the origin sent. */
async function giveUp (path: string, id: string, ms: number, script: Script): Promise<{ response: Response, told: string[], fromOrigin: number }> {
  const told: string[] = []
  await page(id, (port, file, post) => {
    port.addEventListener('message', e => { told.push((e.data as Message).type) })
    script(port, file, post)
  })
  const found = await lookup(path, SHORT_BUILD.manifest)
  const before = origin.fetched.length
  const leaving = new AbortController()
  setTimeout(() => leaving.abort(), ms)
  const response = await answerWithin(found!, new Request(`${ORIGIN}/${path}`, { signal: leaving.signal }), id)
  return { response, told, fromOrigin: origin.fetched.slice(before).filter(p => p === path).length }
}

test('a request the page gives up while its peers still make progress ends there: the page is told to cancel, the origin is never asked', async () => {
  // Progress for 4 × peerTimeout: the page leaves after half a peerTimeout.
  const got = await giveUp('short/given-up.html', 'p-given-up', SHORT / 2, reporting(n => n * 1000, Math.ceil(4 * SHORT / 50), deliver()))
  assert.is(got.response.type, 'error', 'nobody is left to read an answer')
  // The cancel crosses a message port: it may land after the answer.
  for (let i = 0; i < 40 && !got.told.includes('cancel'); i++) await new Promise(resolve => setTimeout(resolve, 50))
  assert.ok(got.told.includes('cancel'), `the page was told ${got.told.join(', ')}`)
  assert.is(got.fromOrigin, 0)
})

test('a request given up while the page is silent is not sent to the origin once peerTimeout has passed', async () => {
  const got = await giveUp('short/given-up-early.html', 'p-given-up-early', SHORT / 2, () => {})
  assert.is(got.response.type, 'error')
  assert.is(got.fromOrigin, 0)
})

test('a request given up before the worker looked for peers asks neither peers nor the origin', async () => {
  const asked = await page('p-given-up-before', deliver())
  const found = await lookup('short/given-up-before.html', SHORT_BUILD.manifest)
  const before = origin.fetched.length
  const response = await answerWithin(found!, new Request(`${ORIGIN}/short/given-up-before.html`, { signal: AbortSignal.abort() }), 'p-given-up-before')
  assert.is(response.type, 'error')
  assert.equal(asked, [], 'the page was not asked for peers')
  assert.is(origin.fetched.length - before, 0)
})

test('with no page listening, the origin answers at once and no page is asked', async () => {
  // The other pages are gone; the page asking is open, but its install script has not said hello: a message posted
  // to it could be dropped, so it must not be asked (the script records it if it is).
  openPages.clear()
  const asked: string[] = []
  openPages.add('p-new')
  pageScripts.set('p-new', m => { asked.push((m as Message).type) })
  const got = await ask(LONG_BUILD, 'long/nobody.html', 'p-new')
  assert.is(got.source, 'origin')
  assert.ok(got.right)
  assert.is(got.fromOrigin, 1)
  assert.not.ok(asked.includes('peer-request'), `the page was sent ${asked.join(', ')}`)
})

test.run()
