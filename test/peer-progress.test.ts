// What counts as progress while peers supply a file, in Node: bytes a peer sends unasked (or another request's
// download) are no progress; a verified piece of the file asked for is. On the page's side (answer.ts, with a fake
// torrent) and on the worker's (peers.ts: a page repeating the same progress report does not keep a request waiting).
import { openPages } from './helpers/worker-scope.ts'
import { EventEmitter } from 'node:events'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { answer, type Env } from '../runtime/page/answer.ts'
import { OriginShare } from '../runtime/page/share.ts'
import type { Message } from '../runtime/shared/messages.ts'
import { PortReader } from '../runtime/shared/port.ts'
import { PeerFeed } from '../runtime/worker/peers.ts'
import type { WorkerClient } from '../runtime/worker/scope.ts'

const PIECE = 16384
const entry = { path: 'data/file.bin', sha256: 'ab'.repeat(32), size: 4 * PIECE, type: 'application/octet-stream', offset: 0 }

/** A torrent of 16 pieces of which the file holds the first 4; a peer offers every piece. */
function fakeTorrent (): EventEmitter & Record<string, unknown> {
  const verified = new Set<number>()
  return Object.assign(new EventEmitter(), {
    pieceLength: PIECE,
    length: 16 * PIECE,
    destroyed: false,
    wires: [{ type: 'webrtc', destroyed: false, peerPieces: { get: () => true } }],
    bitfield: { get: (i: number) => verified.has(i) },
    verify (this: EventEmitter, i: number) {
      verified.add(i)
      this.emit('verified', i)
    },
    _select () {},
    _deselect () {},
    critical () {}
  })
}

const page = suite('the page reports progress')

page('only for verified pieces of the file asked for, not for bytes arriving or other pieces', async () => {
  const torrent = fakeTorrent()
  const client = new EventEmitter()
  // A swarm of one for the origin split: nobody else is waited for.
  const share = new OriginShare({ self: 'self', pieceLength: PIECE, members: () => [], lastReceived: -Infinity }, 1000)
  const joined = { torrent, part: { version: 1, infoHash: 'cd'.repeat(20), pieceLength: PIECE, files: [entry] }, alone: false, share }
  const env = {
    swarm: { manifest: { settings: { peerTimeout: 1000 } }, join: async () => joined, ban: () => {}, client },
    store: { record: async () => undefined, read: async (_: string, s: number, e: number) => new Uint8Array(e - s), settled: async () => true },
    stats: { requests: 0, fromPeers: 0, fromOrigin: 0, uploaded: 0, verifyFailures: 0, banned: 0 },
    flush: () => {}
  } as unknown as Env
  const channel = new MessageChannel()
  const seen: Message[] = []
  const arrived = new EventEmitter()
  channel.port2.onmessage = (e) => {
    seen.push(e.data as Message)
    arrived.emit((e.data as Message).type)
  }
  const ready = new Promise(resolve => arrived.once('ready', resolve))
  const done = answer({ type: 'peer-request', file: { path: entry.path, sha256: entry.sha256, size: entry.size, infoHash: joined.part.infoHash }, deps: [], from: 0 }, channel.port1, env)
  await ready
  // The page waits for the file's pieces once it has the pull: then it listens for verified pieces.
  const listening = new Promise<void>(resolve => torrent.on('newListener', (name: string) => { if (name === 'verified') resolve() }))
  channel.port2.postMessage({ type: 'pull' } satisfies Message)
  await listening
  // A peer sending blocks nobody asked for, and pieces of other files getting verified.
  for (let i = 0; i < 50; i++) {
    torrent.emit('download', 1000)
    client.emit('download', 1000)
  }
  ;(torrent.verify as (i: number) => void)(9)
  // Then the file's first piece: progress, then the chunk.
  const chunk = new Promise(resolve => arrived.once('chunk', resolve))
  ;(torrent.verify as (i: number) => void)(0)
  await chunk
  assert.equal(seen.map(m => m.type === 'progress' ? `progress ${m.bytes}` : m.type), ['ready', `progress ${PIECE}`, 'chunk'])
  channel.port2.postMessage({ type: 'cancel' } satisfies Message)
  await done
  channel.port2.close()
})

page.run()

const worker = suite('the worker counts progress')

worker('only when the verified bytes reported grow: a page repeating a report does not hold a request', async () => {
  openPages.add('supplier')
  const client = { id: 'supplier', url: 'https://site.test/', type: 'window', postMessage: () => {} } as WorkerClient
  const channel = new MessageChannel()
  let counted = 0
  const feed = new PeerFeed(new PortReader(channel.port1), client, () => { counted++ })
  let reports = 0
  // The page answers every pull with the same report, every 20 ms, for as long as the test lets it.
  channel.port2.onmessage = () => {}
  const repeat = setInterval(() => {
    reports++
    channel.port2.postMessage({ type: 'progress', bytes: reports < 5 ? reports * PIECE : 5 * PIECE } satisfies Message)
  }, 20)
  const result = await feed.next(300)
  const sentMeanwhile = reports
  clearInterval(repeat)
  // Still being sent reports when it gave up: they did not count once they stopped growing.
  assert.is(result, undefined)
  assert.is(counted, 5, 'each growing report counted once')
  assert.ok(sentMeanwhile > 5, 'the page was still reporting when the worker gave up')
  channel.port2.close()
})

worker.run()
