// One `planktos tracker` process for the scale bench: `node --expose-gc bench/tracker-process.ts`. Prints
// { url, pid } once listening; on each "report" line of its stdin prints { rssMiB, heapMiB, cpuMs } after a full
// collection, so memory is what the tracker keeps, not garbage awaiting collection. Exits when stdin ends.
import { createInterface } from 'node:readline'
import { startTracker } from '../integrations/cli/tracker.ts'

const MiB = 1024 * 1024
// The bench's clients all come from 127.0.0.1 and hold their connections without re-announcing.
const tracker = await startTracker({ port: 0, connectionsPerIp: 1_000_000, announceTimeout: 600_000 })
const gc = (globalThis as { gc?: () => void }).gc
console.log(JSON.stringify({ url: tracker.url, metricsUrl: tracker.metricsUrl, pid: process.pid }))
createInterface({ input: process.stdin })
  .on('line', () => {
    for (let i = 0; i < 3; i++) gc?.()
    const m = process.memoryUsage()
    const c = process.cpuUsage()
    console.log(JSON.stringify({ rssMiB: m.rss / MiB, heapMiB: (m.heapUsed + m.external) / MiB, cpuMs: (c.user + c.system) / 1000 }))
  })
  .on('close', () => { void tracker.close().then(() => process.exit(0)) })
