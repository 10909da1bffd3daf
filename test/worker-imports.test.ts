// Every worker module loads in plain Node, with no service-worker scope at all: none does work when imported,
// so the worker's decisions can be unit-tested (test/worker-decisions.test.ts).
import { readdirSync } from 'node:fs'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'

const test = suite('worker modules import anywhere')

for (const file of readdirSync(new URL('../runtime/worker/', import.meta.url)).filter(f => f.endsWith('.ts')).sort()) {
  test(`runtime/worker/${file} loads without a service-worker scope`, async () => {
    const module = await import(`../runtime/worker/${file}`) as Record<string, unknown>
    assert.ok(Object.keys(module).length > 0)
  })
}

test('so does the worker\'s configuration, read on first use', async () => {
  const { config } = await import('../runtime/worker/scope.ts')
  assert.throws(() => config.base, 'without a scope, reading it fails; importing it did not')
})

test.run()
