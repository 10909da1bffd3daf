// Pins across a deploy, in Node: two workers of one site write which build each page uses at once (the old one
// finishing a navigation, the new one taking over), and neither may undo the other's. Each worker is its own
// instance of runtime/worker/pins.ts (a module URL of its own) over one in-memory IndexedDB.
import './helpers/worker-scope.ts'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { store } from '../runtime/worker/storage.ts'

type Pins = typeof import('../runtime/worker/pins.ts')
const worker = (name: string): Promise<Pins> => import(`../runtime/worker/pins.ts?worker=${name}`) as Promise<Pins>

test('a pin the old worker writes after the new one read the pins survives the new one\'s writes, and the new one sees it', async () => {
  const old = await worker('old')
  const next = await worker('new')
  await old.pin('page', 'build-a')
  // The new worker takes over and reads the pins: the page is on build A.
  assert.is((await next.loadPins()).get('page'), 'build-a')
  // The old worker, finishing the page's navigation, moves it to build B; the new worker pins another page.
  await old.pin('page', 'build-b')
  await next.pin('other', 'build-b')
  const saved = await (await store())!.getMeta<Record<string, string>>('clients')
  assert.equal(saved, { page: 'build-b', other: 'build-b' }, 'the store has both workers\' pins')
  assert.is(await next.storedPin('page'), 'build-b', 'the new worker reads the page\'s pin again')
})

test('pruning forgets only the pages that are gone, and counts the builds other workers\' pages use', async () => {
  const old = await worker('old')
  const next = await worker('new')
  await old.pin('late', 'build-c')
  const used = await next.buildsInUse(new Set(['page', 'late']))
  assert.equal([...used].sort(), ['build-b', 'build-c'])
  const saved = await (await store())!.getMeta<Record<string, string>>('clients')
  assert.equal(saved, { page: 'build-b', late: 'build-c' })
})

test.run()
