// How `planktos tracker` scales out behind the spread (runtime/shared/trackers.ts), and what one process holds.
// 1. Announce rate with 1, 2 and 4 tracker processes: a fixed workload of client announces for 64 shards, each
//    announce going to its shard's k = 2 picks (with 1 process, to that one), sent by 2 load processes
//    (bench/tracker-load.ts). Reported: client announces per wall second, announces the trackers handled, and each
//    tracker process's CPU milliseconds per 1,000 announces (what a machine with a core per process would see).
// 2. Memory per connection: connections that announced once and stay open, added in steps to one tracker process;
//    its RSS after a full collection at each step, and the count that fits in 512 MiB at that slope.
// Run alone with `node bench/tracker-scale.ts`, or through bench/index.ts (`npm run bench tracker`).
import { spawn, type ChildProcessByStdio } from 'node:child_process'
import type { Readable, Writable } from 'node:stream'
import { createHash } from 'node:crypto'
import { createInterface, type Interface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { trackersFor } from '../runtime/shared/trackers.ts'

const PROCESS = fileURLToPath(new URL('./tracker-process.ts', import.meta.url))
const LOAD = fileURLToPath(new URL('./tracker-load.ts', import.meta.url))
const K = 2
const SHARDS = 64
const GENERATORS = 2
const CONNECTIONS_PER_TRACKER = 20
const MEMORY_STEPS = [2000, 4000, 8000, 16000]
const LIMIT_MIB = 512

export interface RateRow {
  processes: number
  clientAnnounces: number
  /** Announces the tracker processes answered in all: k per client announce once there are k processes or more. */
  trackerAnnounces: number
  seconds: number
  clientPerSecond: number
  trackerPerSecond: number
  /** Per tracker process: its share of the tracker announces and its CPU milliseconds per 1,000 of them. */
  perProcess: Array<{ announces: number, cpuMsPerThousand: number }>
}

export interface MemoryRow { connections: number, rssMiB: number, heapMiB: number }

export interface TrackerScaleResult {
  k: number
  shards: number
  generators: number
  rates: RateRow[]
  memory: { baseline: MemoryRow, steps: MemoryRow[], kibPerConnection: number, connectionsIn512MiB: number, measuredUpTo: number, fdLimit: string }
}

/** A child process speaking one JSON object per line. */
interface Child { proc: ChildProcessByStdio<Writable, Readable, null>, next(): Promise<Record<string, unknown>> }

function child (args: string[]): Child {
  const proc = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] })
  const lines: Interface = createInterface({ input: proc.stdout })
  const queue: Array<Record<string, unknown>> = []
  const waiting: Array<(line: Record<string, unknown>) => void> = []
  lines.on('line', line => {
    const parsed = JSON.parse(line) as Record<string, unknown>
    const w = waiting.shift()
    if (w) w(parsed)
    else queue.push(parsed)
  })
  const exited = new Promise<never>((_resolve, reject) => proc.once('exit', code => reject(new Error(`${args.join(' ')} exited with ${code}`))))
  exited.catch(() => {})
  return {
    proc,
    next: () => queue.length ? Promise.resolve(queue.shift()!) : Promise.race([new Promise<Record<string, unknown>>(resolve => waiting.push(resolve)), exited])
  }
}

const tracker = async (): Promise<Child & { url: string }> => {
  const c = child(['--expose-gc', PROCESS])
  return { ...c, url: (await c.next()).url as string }
}
const report = async (t: Child): Promise<{ rssMiB: number, heapMiB: number, cpuMs: number }> => {
  t.proc.stdin.write('report\n')
  return await t.next() as { rssMiB: number, heapMiB: number, cpuMs: number }
}
const shardHashes = Array.from({ length: SHARDS }, (_, i) => createHash('sha1').update(`shard ${i}`).digest('hex'))

async function rateWith (processes: number, clientAnnounces: number): Promise<RateRow> {
  const trackers = await Promise.all(Array.from({ length: processes }, tracker))
  const urls = trackers.map(t => t.url)
  try {
    const picks = new Map(shardHashes.map(h => [h, trackersFor(h, urls, K)]))
    const per = clientAnnounces / SHARDS
    const targets = trackers.map(t => {
      const infoHashes = shardHashes.filter(h => picks.get(h)!.includes(t.url))
      const perConnection = Math.round(infoHashes.length * per / CONNECTIONS_PER_TRACKER)
      return { url: t.url, infoHashes, connections: CONNECTIONS_PER_TRACKER / GENERATORS, perConnection }
    })
    const loads = Array.from({ length: GENERATORS }, () => child([LOAD, JSON.stringify({ mode: 'rate', targets })]))
    for (const l of loads) await l.next()
    const before = await Promise.all(trackers.map(report))
    const started = performance.now()
    for (const l of loads) l.proc.stdin.write('go\n')
    const done = await Promise.all(loads.map(l => l.next()))
    const seconds = (performance.now() - started) / 1000
    const after = await Promise.all(trackers.map(report))
    const trackerAnnounces = done.reduce((n, d) => n + (d.announces as number), 0)
    const perProcess = targets.map((t, i) => {
      const announces = t.perConnection * CONNECTIONS_PER_TRACKER
      return { announces, cpuMsPerThousand: Math.round((after[i]!.cpuMs - before[i]!.cpuMs) / announces * 1000 * 10) / 10 }
    })
    for (const l of loads) l.proc.stdin.end()
    return {
      processes,
      clientAnnounces,
      trackerAnnounces,
      seconds: Math.round(seconds * 100) / 100,
      clientPerSecond: Math.round(clientAnnounces / seconds),
      trackerPerSecond: Math.round(trackerAnnounces / seconds),
      perProcess
    }
  } finally {
    for (const t of trackers) t.proc.stdin.end()
  }
}

async function memory (): Promise<TrackerScaleResult['memory']> {
  const t = await tracker()
  const holders: Child[] = []
  try {
    const row = async (connections: number): Promise<MemoryRow> => {
      const r = await report(t)
      return { connections, rssMiB: Math.round(r.rssMiB * 10) / 10, heapMiB: Math.round(r.heapMiB * 10) / 10 }
    }
    const baseline = await row(0)
    const steps: MemoryRow[] = []
    let held = 0
    for (const target of MEMORY_STEPS) {
      // A fresh load process per step keeps each under the per-process file-descriptor limit.
      const holder = child([LOAD, JSON.stringify({ mode: 'hold', targets: [{ url: t.url, infoHashes: shardHashes, connections: target - held, perConnection: 1 }] })])
      holders.push(holder)
      await holder.next()
      held = target
      steps.push(await row(held))
    }
    const last = steps[steps.length - 1]!
    const perConnectionMiB = (last.rssMiB - baseline.rssMiB) / last.connections
    return {
      baseline,
      steps,
      kibPerConnection: Math.round(perConnectionMiB * 1024 * 10) / 10,
      connectionsIn512MiB: Math.floor((LIMIT_MIB - baseline.rssMiB) / perConnectionMiB),
      measuredUpTo: last.connections,
      fdLimit: await fdLimit()
    }
  } finally {
    for (const h of holders) h.proc.stdin.end()
    t.proc.stdin.end()
  }
}

async function fdLimit (): Promise<string> {
  const { readFile } = await import('node:fs/promises')
  const limits = await readFile('/proc/self/limits', 'utf8').catch(() => '')
  return /Max open files\s+(\d+|unlimited)/.exec(limits)?.[1] ?? 'unknown'
}

/** Runs both measurements; `clientAnnounces` is the rate workload. */
export async function benchTrackerScale (clientAnnounces = 40_000): Promise<TrackerScaleResult> {
  const rates: RateRow[] = []
  for (const processes of [1, 2, 4]) rates.push(await rateWith(processes, clientAnnounces))
  return { k: K, shards: SHARDS, generators: GENERATORS, rates, memory: await memory() }
}

export function formatTrackerScale (r: TrackerScaleResult, cpus: number): string {
  const rows = r.rates.map(x => `| ${x.processes} | ${x.clientAnnounces.toLocaleString('en')} | ${x.trackerAnnounces.toLocaleString('en')} | ${x.seconds.toFixed(1)} s | ${x.clientPerSecond.toLocaleString('en')}/s | ${x.trackerPerSecond.toLocaleString('en')}/s | ${x.perProcess.map(p => `${p.announces.toLocaleString('en')} (${p.cpuMsPerThousand} ms)`).join(', ')} |`)
  const m = r.memory
  return [
    `tracker processes behind the spread: ${r.shards} shards, each announce to its shard's k = ${r.k} picks, from ${r.generators} load processes, 5 offers per announce; ${cpus} CPU cores for trackers and load alike, so wall-clock rates cannot grow past ${cpus} busy processes: the CPU ms per 1,000 announces of each process is the figure that carries to a machine with a core per process`,
    '',
    '| tracker processes | client announces | tracker announces | wall (abs.) | client announces/s (abs.) | tracker announces/s (abs.) | per process: announces (CPU ms per 1,000) |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `memory of one tracker process (RSS after a full collection; connections that announced once and stay open): ${[m.baseline, ...m.steps].map(s => `${s.connections.toLocaleString('en')}: ${s.rssMiB} MiB`).join(', ')}; ${m.kibPerConnection} KiB per connection, so about ${m.connectionsIn512MiB.toLocaleString('en')} connections within 512 MiB (measured up to ${m.measuredUpTo.toLocaleString('en')}; beyond is the same slope, as this machine allows ${m.fdLimit} open files per process)`
  ].join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { availableParallelism } = await import('node:os')
  console.log(formatTrackerScale(await benchTrackerScale(Number(process.env.PLANKTOS_BENCH_ANNOUNCES ?? 40_000)), availableParallelism()))
}
