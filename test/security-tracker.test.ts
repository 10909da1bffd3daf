// `planktos tracker --allow` under a flood of announces for infohashes it does not track, sent by a second process
// on loopback as WebTorrent clients send them (offers included): every one is refused, no swarm is created, the
// memory the tracker keeps does not grow, and its peak RSS stays under a stated limit. An open tracker under the same
// burst keeps a swarm per infohash: the comparison shows the measurement can see growth.
import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { startTracker, type TrackerHandle } from '../integrations/cli/tracker.ts'
import { tempDir, cleanup } from './helpers/fs.ts'

const ANNOUNCER = fileURLToPath(new URL('./helpers/announcer.ts', import.meta.url))
const CONNECTIONS = 20
const PER_CONNECTION = 1000
const BURST = CONNECTIONS * PER_CONNECTION
const MiB = 1024 * 1024
const SITE = 'ab'.repeat(20)
/** The stated limit: this process (uvu, the tracker, its 20 connections) stays under it through the burst. */
const PEAK_RSS_LIMIT = 192 * MiB
/** Memory the tracker may keep after the burst, all garbage collected: far below the ~2 KiB a swarm costs. */
const RETAINED_LIMIT = 8 * MiB

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/** Heap and external memory still reachable after full collections. */
function retained (): number {
  for (let i = 0; i < 3; i++) gc()
  const m = process.memoryUsage()
  return m.heapUsed + m.external + m.arrayBuffers
}

/** Runs the announcer in its own process against `tracker`; resolves with what it counted. */
function burst (tracker: TrackerHandle, perConnection = PER_CONNECTION, infoHash?: string): Promise<{ announces: number, refused: number, accepted: number }> {
  return new Promise((resolve, reject) => {
    const args = [ANNOUNCER, tracker.url, String(CONNECTIONS), String(perConnection), ...(infoHash ? [infoHash] : [])]
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', d => { out += d })
    child.stderr.on('data', d => { err += d })
    // A hang detector only: on this shared machine the burst takes from seconds to a minute.
    const timer = setTimeout(() => child.kill('SIGKILL'), 5 * 60_000)
    child.on('close', code => {
      clearTimeout(timer)
      if (code === 0) resolve(JSON.parse(out))
      else reject(new Error(`the announcer exited with ${code}: ${err}`))
    })
  })
}

/** Resolves once the tracker's statistics count no peer left (every connection's close handled). */
async function peersGone (tracker: TrackerHandle): Promise<void> {
  const url = tracker.statsUrl.replace(/\/stats$/, '/stats.json')
  for (const limit = Date.now() + 60_000; ;) {
    const { peersAll } = await (await fetch(url)).json() as { peersAll: number }
    if (peersAll === 0) return
    if (Date.now() > limit) throw new Error(`${peersAll} peers still in the tracker's swarms a minute after they left`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

const test = suite('tracker --allow under a flood of unknown infohashes')
test.after(cleanup)
const warnings: string[] = []
process.on('warning', w => warnings.push(`${w.name}: ${w.message}`))

test(`refuses ${BURST.toLocaleString('en')} announces for unknown infohashes without keeping memory; peak RSS under ${PEAK_RSS_LIMIT / MiB} MiB`, async () => {
  const dir = await tempDir()
  const manifest = join(dir, 'manifest.json')
  await writeFile(manifest, JSON.stringify({ version: 1, base: '/', shards: [{ infoHash: SITE }] }))
  const tracker = await startTracker({ allow: [manifest] })
  try {
    const before = retained()
    const r = await burst(tracker)
    assert.equal(r, { announces: BURST, refused: BURST, accepted: 0, ms: (r as { ms?: number }).ms })
    assert.is(tracker.refused(), BURST)
    assert.is(tracker.announces().size, 0, 'no swarm was created')
    const grew = retained() - before
    assert.ok(grew < RETAINED_LIMIT, `retained memory grew by ${(grew / MiB).toFixed(1)} MiB`)
    const peak = process.resourceUsage().maxRSS * 1024
    assert.ok(peak < PEAK_RSS_LIMIT, `peak RSS ${(peak / MiB).toFixed(0)} MiB`)
  } finally {
    await tracker.close()
  }
})

test('an open tracker under the same burst keeps a swarm per infohash, and the measurement sees it', async () => {
  const tracker = await startTracker({})
  try {
    const before = retained()
    const r = await burst(tracker)
    assert.is(r.accepted, BURST)
    assert.is(tracker.announces().size, BURST)
    const grew = retained() - before
    assert.ok(grew > RETAINED_LIMIT, `retained memory grew by ${(grew / MiB).toFixed(1)} MiB`)
  } finally {
    await tracker.close()
  }
})

test('20 peers of the site announcing with offers, then leaving while offers are relayed to them, print no warning', async () => {
  const dir = await tempDir()
  const manifest = join(dir, 'manifest.json')
  await writeFile(manifest, JSON.stringify({ version: 1, base: '/', shards: [{ infoHash: SITE }] }))
  const tracker = await startTracker({ allow: [manifest], onWarning: w => warnings.push(w) })
  try {
    const r = await burst(tracker, 300, SITE)
    assert.is(r.accepted, CONNECTIONS * 300)
    assert.equal([...tracker.announces().keys()], [SITE])
    // The tracker has seen every connection close and removed its peer: the work a leak would warn in is done.
    await peersGone(tracker)
    assert.equal(warnings.filter(w => !w.startsWith('ExperimentalWarning')), [])
  } finally {
    await tracker.close()
  }
})

test.run()
