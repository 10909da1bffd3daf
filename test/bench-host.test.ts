// The bill's counting host (bench/host.ts): a visitor given its own front is charged with its own requests only, so
// the population can count a tab's late requests for its own visitor and nothing outside the total.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startHost } from '../bench/host.ts'

test('each front tags its log entries with its visitor; the main address tags none; all share one log', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'planktos-host-'))
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>x</title>' + 'text '.repeat(200))
  const host = await startHost(dir)
  try {
    const a = await host.front('3')
    const b = await host.front('12')
    assert.is.not(a, b, 'each front has its own address')
    for (const url of [host.url, a, b, b]) {
      const res = await fetch(url)
      assert.is(res.status, 200)
      await res.arrayBuffer()
    }
    // The log entry is written when the response is done, which may be a turn after the body arrived.
    for (let i = 0; i < 50 && host.log.length < 4; i++) await new Promise(resolve => setTimeout(resolve, 10))
    assert.equal(host.log.map(e => e.tag ?? '-').sort(), ['-', '12', '12', '3'])
    assert.ok(host.log.every(e => e.wireBytes > e.bodyBytes && e.bodyBytes > 0), 'bytes counted on every front')
  } finally {
    await host.close()
    await rm(dir, { recursive: true, force: true })
  }
})

test.run()
