// `planktos tracker`: WebSocket announces as a WebTorrent client sends them, against allow lists on disk and over HTTP.
import { randomBytes } from 'node:crypto'
import { rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import WebSocket from 'ws'
import { startTracker, type TrackerHandle } from '../integrations/cli/tracker.ts'
import { loadServerClass } from '../integrations/cli/tracker-server.ts'
import { tempDir } from './helpers/fs.ts'

const WAIT = 3000

type Message = Record<string, unknown>

/** A WebSocket tracker client speaking the protocol of bittorrent-tracker's websocket-tracker.js. */
interface Client {
  peerId: string
  announce(infoHash: string, extra?: Message): void
  /** The next message from the tracker. */
  next(): Promise<Message>
  closed: Promise<void>
  close(): void
}

const binary = (hex: string): string => Buffer.from(hex, 'hex').toString('latin1')
const hexOf = (binaryString: unknown): string => Buffer.from(String(binaryString), 'latin1').toString('hex')
const newInfoHash = (): string => randomBytes(20).toString('hex')

async function connect (url: string): Promise<Client> {
  const socket = new WebSocket(url)
  const inbox: Message[] = []
  const waiting: Array<(message: Message) => void> = []
  socket.on('message', data => {
    const message = JSON.parse(String(data)) as Message
    const waiter = waiting.shift()
    if (waiter) waiter(message)
    else inbox.push(message)
  })
  const closed = new Promise<void>(resolve => socket.once('close', () => resolve()))
  await within(new Promise((resolve, reject) => { socket.once('open', resolve); socket.once('error', reject) }), `connecting to ${url}`)
  const peerId = randomBytes(20).toString('hex')
  return {
    peerId,
    announce (infoHash, extra = {}) {
      socket.send(JSON.stringify({
        action: 'announce',
        info_hash: binary(infoHash),
        peer_id: binary(peerId),
        event: 'started',
        uploaded: 0,
        downloaded: 0,
        left: 1000,
        numwant: 0,
        ...extra
      }))
    },
    next: () => within(inbox.length ? Promise.resolve(inbox.shift()!) : new Promise<Message>(resolve => waiting.push(resolve)), 'a tracker message'),
    closed,
    close: () => socket.close()
  }
}

function within<T> (promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`no ${what} within ${WAIT}ms`)), WAIT) })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** Announces once on a fresh connection and returns the tracker's reply. */
async function announceOnce (tracker: TrackerHandle, infoHash: string): Promise<Message> {
  const client = await connect(tracker.url)
  try {
    client.announce(infoHash)
    return await client.next()
  } finally {
    client.close()
  }
}

async function isAccepted (tracker: TrackerHandle, infoHash: string): Promise<boolean> {
  const reply = await announceOnce(tracker, infoHash)
  assert.is(hexOf(reply.info_hash), infoHash, 'the reply names the announced infohash')
  return reply['failure reason'] === undefined
}

function manifestOf (...infoHashes: string[]): string {
  return JSON.stringify({
    version: 1,
    base: '/',
    shards: infoHashes.map((infoHash, i) => ({ infoHash, torrent: `planktos/${infoHash}.torrent`, part: `planktos/p/${i}.json`, size: 1, files: 1, first: `${i}`, last: `${i}` }))
  })
}

async function statsJson (tracker: TrackerHandle): Promise<{ torrents: number, peersAll: number }> {
  const res = await fetch(tracker.statsUrl + '.json', { signal: AbortSignal.timeout(WAIT) })
  assert.is(res.status, 200)
  return await res.json() as { torrents: number, peersAll: number }
}

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

// ---

const open = suite<{ tracker: TrackerHandle }>('tracker: without an allow list', {} as { tracker: TrackerHandle })
open.before.each(async context => { context.tracker = await startTracker() })
open.after.each(async context => { await context.tracker.close() })

open('answers an announce for any infohash like a WebTorrent tracker', async ({ tracker }) => {
  const infoHash = newInfoHash()
  const client = await connect(tracker.url)
  client.announce(infoHash)
  const reply = await client.next()
  assert.is(reply.action, 'announce')
  assert.is(reply['failure reason'], undefined)
  assert.is(hexOf(reply.info_hash), infoHash)
  assert.is(reply.incomplete, 1)
  assert.type(reply.interval, 'number')
  client.close()
  assert.is(tracker.allowed(), null)
})

open('relays an offer from one peer to another in the same swarm', async ({ tracker }) => {
  const infoHash = newInfoHash()
  const first = await connect(tracker.url)
  const second = await connect(tracker.url)
  first.announce(infoHash)
  await first.next()
  const offer = { type: 'offer', sdp: 'v=0 (test)' }
  second.announce(infoHash, { numwant: 1, offers: [{ offer, offer_id: 'o'.repeat(20) }] })
  const relayed = await first.next()
  assert.equal(relayed.offer, offer)
  assert.is(relayed.offer_id, 'o'.repeat(20))
  assert.is(hexOf(relayed.peer_id), second.peerId)
  assert.is((await second.next()).incomplete, 2)
  first.close()
  second.close()
})

open('counts accepted announces per infohash', async ({ tracker }) => {
  const infoHash = newInfoHash()
  await announceOnce(tracker, infoHash)
  await announceOnce(tracker, infoHash)
  assert.is(tracker.announces().get(infoHash), 2)
  assert.is(tracker.refused(), 0)
})

open('serves statistics as HTML and JSON at its stats URL', async ({ tracker }) => {
  assert.is(tracker.statsUrl, `http://127.0.0.1:${tracker.port}/stats`)
  const client = await connect(tracker.url)
  client.announce(newInfoHash())
  await client.next()
  const stats = await statsJson(tracker)
  assert.is(stats.torrents, 1)
  assert.is(stats.peersAll, 1)
  const html = await fetch(tracker.statsUrl, { signal: AbortSignal.timeout(WAIT) })
  assert.is(html.status, 200)
  assert.match(String(html.headers.get('content-type')), 'text/html')
  assert.match(await html.text(), '1 torrents')
  client.close()
})

open('serves its counters at /metrics in the Prometheus text format', async ({ tracker }) => {
  const client = await connect(tracker.url)
  client.announce(newInfoHash())
  await client.next()
  const res = await fetch(tracker.metricsUrl, { signal: AbortSignal.timeout(WAIT) })
  assert.is(res.status, 200)
  assert.match(String(res.headers.get('content-type')), 'text/plain; version=0.0.4')
  const text = await res.text()
  for (const line of ['planktos_tracker_connections 1', 'planktos_tracker_swarms 1', 'planktos_tracker_peers 1', 'planktos_tracker_announces_total 1', 'planktos_tracker_rejects_total{reason="not-allowed"} 0', 'planktos_tracker_frames_refused_total 0']) {
    assert.ok(text.split('\n').includes(line), `${line} in:\n${text}`)
  }
  // Every sample follows its # HELP and # TYPE lines, as Prometheus' parser expects.
  assert.match(text, /^# HELP planktos_tracker_rejects_total .+\n# TYPE planktos_tracker_rejects_total counter\n/m)
  client.close()
})

open('does not answer HTTP announces, only WebSocket ones', async ({ tracker }) => {
  const res = await fetch(`http://127.0.0.1:${tracker.port}/announce?info_hash=x`, { signal: AbortSignal.timeout(WAIT) })
  assert.is(res.status, 404)
})

open('close() disconnects its clients', async ({ tracker }) => {
  const client = await connect(tracker.url)
  const closing = tracker.close()
  tracker.close = () => closing // after.each must not close twice
  try {
    await within(closing, 'close')
    await within(client.closed, 'disconnect')
  } finally {
    client.close() // lets a failing close() finish, so the failure is reported instead of hanging
  }
})

open.run()

const missing = suite('tracker: without the bittorrent-tracker package')

missing('says in one sentence which package to install', async () => {
  const notFound = (): Promise<never> => Promise.reject(Object.assign(new Error("Cannot find package 'bittorrent-tracker'"), { code: 'ERR_MODULE_NOT_FOUND' }))
  try {
    await loadServerClass(notFound)
    assert.unreachable('loaded')
  } catch (err) {
    assert.is((err as Error).message, 'planktos tracker needs the bittorrent-tracker package: npm install bittorrent-tracker.')
  }
})

missing.run()

// ---

interface AllowContext { dir: string, manifest: string, a: string, b: string, warnings: string[], tracker: TrackerHandle }
const allow = suite<AllowContext>('tracker: with an allow list in a manifest file', {} as AllowContext)

allow.before.each(async context => {
  context.dir = await tempDir('planktos-tracker-')
  context.manifest = join(context.dir, 'manifest.json')
  context.a = newInfoHash()
  context.b = newInfoHash()
  context.warnings = []
  await writeFile(context.manifest, manifestOf(context.a))
})
allow.after.each(async context => {
  await context.tracker?.close()
  await rm(context.dir, { recursive: true, force: true })
})

allow('accepts the manifest infohashes and refuses others with a reason', async context => {
  const tracker = context.tracker = await startTracker({ allow: [context.manifest] })
  assert.ok(await isAccepted(tracker, context.a))
  const reply = await announceOnce(tracker, context.b)
  assert.is(reply.action, 'announce')
  assert.match(String(reply['failure reason']), `infohash ${context.b} is not one of them`)
  assert.is(tracker.refused(), 1)
  assert.equal([...tracker.allowed()!], [context.a])
})

allow('accepts the manifest infohashes whatever the case of their hex', async context => {
  await writeFile(context.manifest, manifestOf(context.a.toUpperCase()))
  const tracker = context.tracker = await startTracker({ allow: [context.manifest] })
  assert.ok(await isAccepted(tracker, context.a))
})

allow('creates no swarm for refused infohashes, however many are announced', async context => {
  const tracker = context.tracker = await startTracker({ allow: [context.manifest] })
  const client = await connect(tracker.url)
  client.announce(context.a)
  await client.next()
  for (let i = 0; i < 200; i++) {
    client.announce(newInfoHash())
    assert.ok((await client.next())['failure reason'])
  }
  assert.is((await statsJson(tracker)).torrents, 1)
  assert.is(tracker.refused(), 200)
  assert.equal([...tracker.announces().keys()], [context.a])
  client.close()
})

allow('follows the manifest on reload and keeps departed infohashes for the grace period', async context => {
  const tracker = context.tracker = await startTracker({ allow: [context.manifest], grace: 400 })
  await writeFile(context.manifest, manifestOf(context.b))
  assert.not.ok(await isAccepted(tracker, context.b), 'not before the reload')
  await tracker.reload()
  assert.ok(await isAccepted(tracker, context.b))
  assert.ok(await isAccepted(tracker, context.a), 'still during grace')
  assert.equal(new Set(tracker.allowed()), new Set([context.a, context.b]))
  await sleep(500)
  assert.not.ok(await isAccepted(tracker, context.a), 'refused after grace')
  assert.equal([...tracker.allowed()!], [context.b])
})

allow('drops the swarm of an infohash whose grace ran out', async context => {
  const tracker = context.tracker = await startTracker({ allow: [context.manifest], grace: 0 })
  await announceOnce(tracker, context.a)
  assert.is((await statsJson(tracker)).torrents, 1)
  await writeFile(context.manifest, manifestOf(context.b))
  await tracker.reload()
  assert.is((await statsJson(tracker)).torrents, 0)
  assert.is(tracker.announces().get(context.a), undefined)
})

allow('re-reads the manifest on its own every reloadInterval', async context => {
  const tracker = context.tracker = await startTracker({ allow: [context.manifest], reloadInterval: 30 })
  await writeFile(context.manifest, manifestOf(context.a, context.b))
  for (let waited = 0; !tracker.allowed()!.has(context.b); waited += 10) {
    if (waited > WAIT) assert.unreachable('the new infohash was not picked up')
    await sleep(10)
  }
  assert.ok(await isAccepted(tracker, context.b))
})

allow('keeps the last list and warns when the manifest cannot be re-read', async context => {
  const tracker = context.tracker = await startTracker({ allow: [context.manifest], onWarning: message => context.warnings.push(message) })
  await writeFile(context.manifest, '{ "shards": [')
  await tracker.reload()
  assert.equal(context.warnings, [`planktos tracker: could not reload ${context.manifest} (it is not JSON); still allowing the 1 infohashes it listed before.`])
  assert.ok(await isAccepted(tracker, context.a))
  await rm(context.manifest)
  await tracker.reload()
  assert.match(context.warnings[1]!, '(no such file)')
  assert.ok(await isAccepted(tracker, context.a))
})

allow('refuses to start on a manifest it cannot read', async context => {
  const missing = join(context.dir, 'nope.json')
  const failures: Array<[string, string, string]> = [
    [missing, '', `planktos tracker: cannot read the manifest ${missing} (no such file); pass the path or URL of a built site's planktos/manifest.json.`],
    [context.manifest, '[]', 'it has no "shards" list'],
    [context.manifest, '{"shards":[{"infoHash":"abc"}]}', 'infoHash is not 40 hex digits: "abc"'],
    [context.dir, '', '(it is a folder)']
  ]
  for (const [path, contents, message] of failures) {
    if (contents) await writeFile(path, contents)
    try {
      const tracker = await startTracker({ allow: [path] })
      await tracker.close()
      assert.unreachable(`started with ${contents || path}`)
    } catch (err) {
      assert.match((err as Error).message, message)
    }
  }
})

allow('names the option when an option is out of range', async () => {
  for (const [options, option] of [[{ reloadInterval: 0 }, 'reloadInterval'], [{ reloadInterval: 2 ** 31 }, 'reloadInterval'], [{ grace: -1 }, 'grace'], [{ port: 70000 }, 'port']] as const) {
    try {
      const tracker = await startTracker(options)
      await tracker.close()
      assert.unreachable(option)
    } catch (err) {
      assert.match((err as Error).message, `option "${option}"`)
    }
  }
})

allow.run()

// ---

interface HttpContext { origin: Server, url: string, body: string, status: number, a: string, b: string, tracker: TrackerHandle, warnings: string[] }
const remote = suite<HttpContext>('tracker: with an allow list at a URL', {} as HttpContext)

remote.before.each(async context => {
  context.a = newInfoHash()
  context.b = newInfoHash()
  context.body = manifestOf(context.a)
  context.status = 200
  context.warnings = []
  context.origin = createServer((_req, res) => {
    res.writeHead(context.status, { 'Content-Type': 'application/json' })
    res.end(context.body)
  })
  await new Promise<void>(resolve => context.origin.listen(0, '127.0.0.1', resolve))
  context.url = `http://127.0.0.1:${(context.origin.address() as { port: number }).port}/planktos/manifest.json`
})
remote.after.each(async context => {
  await context.tracker?.close()
  context.origin.closeAllConnections()
  await new Promise(resolve => context.origin.close(resolve))
})

remote('accepts the infohashes of the manifest it downloads and refuses others', async context => {
  const tracker = context.tracker = await startTracker({ allow: [context.url] })
  assert.ok(await isAccepted(tracker, context.a))
  assert.not.ok(await isAccepted(tracker, context.b))
})

remote('follows a new deploy and warns when the site answers an error', async context => {
  const tracker = context.tracker = await startTracker({ allow: [context.url], onWarning: message => context.warnings.push(message) })
  context.body = manifestOf(context.a, context.b)
  await tracker.reload()
  assert.ok(await isAccepted(tracker, context.b))
  context.status = 503
  await tracker.reload()
  assert.match(context.warnings[0]!, `could not reload ${context.url} (the server answered HTTP 503)`)
  assert.ok(await isAccepted(tracker, context.b))
})

remote('refuses to start when the URL answers 404', async context => {
  context.status = 404
  try {
    context.tracker = await startTracker({ allow: [context.url] })
    assert.unreachable('started')
  } catch (err) {
    assert.match((err as Error).message, `cannot read the manifest ${context.url} (the server answered HTTP 404)`)
  }
})

remote.run()
