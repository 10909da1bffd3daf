// The worker reads its configuration from the first line the builder writes (PLANKTOS_CONFIG): every field of it is
// readable through `config`. A field the builder writes but `config` lacked was silently undefined: a dev server's
// kill switch (integrations/dev-worker.ts, `reload: true`) never reloaded the pages the old worker had answered.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { WorkerConfig } from '../runtime/worker/scope.ts'

const written: Required<WorkerConfig> = { buildId: 'b1', base: '/docs/', killSwitch: true, reload: true, runtime: { 'planktos/install.js': 'a'.repeat(64) } }
const g = globalThis as Record<string, unknown>
g.location = new URL('https://site.test/docs/planktos-sw.js')
g.PLANKTOS_CONFIG = written

const test = suite('the worker\'s configuration')

test('every field the builder writes reads back through config', async () => {
  const { config } = await import('../runtime/worker/scope.ts')
  for (const key of Object.keys(written) as Array<keyof WorkerConfig>) assert.equal(config[key], written[key], key)
})

test.run()
