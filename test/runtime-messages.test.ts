// The page<->worker messages: recognising ours, and reading replies from a port with a deadline.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { isMessage } from '../runtime/shared/messages.ts'
import { PortReader } from '../runtime/shared/port.ts'

const guard = suite('isMessage')

guard('accepts members of the union', () => {
  assert.ok(isMessage({ type: 'pull' }))
  assert.ok(isMessage({ type: 'peer-request', file: { path: 'a', sha256: 'b', size: 1, infoHash: 'c' }, deps: [] }))
  assert.ok(isMessage({ type: 'downloader', webrtc: true, swarms: [{ infoHash: 'c', peers: 1, alone: false }] }))
  assert.ok(isMessage({ type: 'traffic', traffic: { fromPeers: 1, fromOrigin: 0, uploaded: 0, verifyFailures: 0 } }))
  assert.ok(isMessage({ type: 'stored', files: [{ sha256: 'b', infoHash: 'c' }] }))
  assert.ok(isMessage({ type: 'evicted', sha256: ['b'] }))
})

guard("rejects other scripts' messages", () => {
  for (const data of [null, undefined, 'pull', 42, {}, { type: 'greeting' }, { type: 1 }]) assert.not.ok(isMessage(data), JSON.stringify(data))
})

guard.run()

const port = suite('PortReader')

port('gives messages in order, including those that arrived before the read', async () => {
  const { port1, port2 } = new MessageChannel()
  const reader = new PortReader(port1)
  port2.postMessage({ type: 'progress', bytes: 1 })
  port2.postMessage({ type: 'ready', size: 2 })
  await new Promise(resolve => setTimeout(resolve, 20))
  assert.equal(await reader.next(1000), { type: 'progress', bytes: 1 })
  assert.equal(await reader.next(1000), { type: 'ready', size: 2 })
  reader.close()
  port2.close()
})

port('gives undefined when nothing arrives in time, as when a tab closed', async () => {
  const { port1, port2 } = new MessageChannel()
  const reader = new PortReader(port1)
  assert.is(await reader.next(50), undefined)
  reader.close()
  port2.close()
})

port('ignores messages that are not ours', async () => {
  const { port1, port2 } = new MessageChannel()
  const reader = new PortReader(port1)
  port2.postMessage({ type: 'unrelated' })
  port2.postMessage({ type: 'pull' })
  assert.equal(await reader.next(1000), { type: 'pull' })
  reader.close()
  port2.close()
})

port('after close, reads end at once', async () => {
  const { port1, port2 } = new MessageChannel()
  const reader = new PortReader(port1)
  reader.close()
  assert.is(reader.open, false)
  assert.is(await reader.next(10_000), undefined)
  port2.close()
})

port('close ends a pending read', async () => {
  const { port1, port2 } = new MessageChannel()
  const reader = new PortReader(port1)
  const pending = reader.next(10_000)
  reader.close()
  assert.is(await pending, undefined)
  port2.close()
})

port.run()
