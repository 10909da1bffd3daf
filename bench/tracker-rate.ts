// The announce rate `planktos tracker --allow` sustains, on loopback, with the announces coming from a second process
// (test/helpers/announcer.ts: WebTorrent-style announces with 5 offers each). Two cases side by side: announces for
// infohashes the allow list refuses (a flood of strangers) and for the site's own infohash (one swarm of 20 peers,
// offers relayed). Wall-clock rates depend on the machine's load; announces per CPU-second of the tracker less so.
// Run alone with `node bench/tracker-rate.ts`, or through bench/index.ts with `benchTrackerRate()`.
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startTracker } from '../integrations/cli/tracker.ts'

const ANNOUNCER = fileURLToPath(new URL('../test/helpers/announcer.ts', import.meta.url))
const SITE_INFOHASH = 'ab'.repeat(20)

export interface TrackerRateCase {
  case: 'refused' | 'accepted'
  announces: number
  /** Wall-clock seconds of the burst. */
  seconds: number
  perSecond: number
  /** Announces per second of CPU time spent by the tracker's process. */
  perCpuSecond: number
}

export interface TrackerRateResult {
  connections: number
  perConnection: number
  cases: TrackerRateCase[]
  /** Peak RSS of the tracker's process over the whole run, MiB. */
  peakRssMiB: number
}

function announcer (url: string, connections: number, perConnection: number, infoHash?: string): Promise<{ announces: number, refused: number, accepted: number, ms: number }> {
  return new Promise((resolve, reject) => {
    const args = [ANNOUNCER, url, String(connections), String(perConnection), ...(infoHash ? [infoHash] : [])]
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', d => { out += d })
    child.on('close', code => code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`the announcer exited with ${code}`)))
  })
}

/** Measures both cases with the same tracker process (this one). */
export async function benchTrackerRate (connections = 20, perConnection = 2000): Promise<TrackerRateResult> {
  const dir = await mkdtemp(join(tmpdir(), 'planktos-tracker-bench-'))
  const manifest = join(dir, 'manifest.json')
  await writeFile(manifest, JSON.stringify({ version: 1, base: '/', shards: [{ infoHash: SITE_INFOHASH }] }))
  const tracker = await startTracker({ allow: [manifest] })
  const cases: TrackerRateCase[] = []
  try {
    for (const which of ['refused', 'accepted'] as const) {
      const cpu = process.cpuUsage()
      const r = await announcer(tracker.url, connections, perConnection, which === 'accepted' ? SITE_INFOHASH : undefined)
      const used = process.cpuUsage(cpu)
      const got = which === 'refused' ? r.refused : r.accepted
      if (got !== connections * perConnection) throw new Error(`expected ${connections * perConnection} ${which} announces, got ${got}`)
      cases.push({
        case: which,
        announces: got,
        seconds: r.ms / 1000,
        perSecond: Math.round(got / (r.ms / 1000)),
        perCpuSecond: Math.round(got / ((used.user + used.system) / 1e6))
      })
    }
  } finally {
    await tracker.close()
    await rm(dir, { recursive: true, force: true })
  }
  return { connections, perConnection, cases, peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) }
}

export function formatTrackerRate (r: TrackerRateResult): string {
  const rows = r.cases.map(c => `| ${c.case === 'refused' ? 'unknown infohashes (refused)' : "the site's infohash (accepted, offers relayed)"} | ${c.announces.toLocaleString('en')} | ${c.seconds.toFixed(1)} s | ${c.perSecond.toLocaleString('en')}/s | ${c.perCpuSecond.toLocaleString('en')}/CPU-s |`)
  return [
    `tracker --allow, ${r.connections} WebSocket connections from a second process, ${r.perConnection} announces each (5 offers per announce); absolute figures of this machine, under its load at the time`,
    '',
    '| announces for | count | wall (abs.) | rate (abs.) | per CPU second of the tracker (abs.) |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    `peak RSS of the tracker's process (abs.): ${r.peakRssMiB} MiB; from bench/index.ts that process also holds the harness`
  ].join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(formatTrackerRate(await benchTrackerRate()))
}
