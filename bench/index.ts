// npm run bench [-- section...]: performance measured side by side in one run; results to bench/results/.
// Not part of npm test: nothing here asserts on time.
import { spawnSync } from 'node:child_process'
import { availableParallelism, cpus, totalmem, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { benchBuild, formatBuildBench, writeJson } from './build.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const sections = process.argv.slice(2).filter(a => !a.startsWith('-'))
const want = (name: string): boolean => sections.length === 0 || sections.includes(name)
const work = process.env.PLANKTOS_BENCH_DIR ?? join(tmpdir(), 'planktos-bench')

const built = process.env.PLANKTOS_SKIP_BUILD ? { status: 0 } : spawnSync(process.execPath, ['scripts/build.ts'], { cwd: root, stdio: 'inherit' })
if (built.status !== 0) process.exit(built.status ?? 1)

const machine = { date: new Date().toISOString().slice(0, 10), cpus: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version }
console.log(`planktos bench on ${machine.cpus} × ${machine.cpu}, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.date}\n`)

if (want('build')) {
  const result = await benchBuild(work)
  console.log('\n' + formatBuildBench(result) + '\n')
  await writeJson(join(root, 'bench/results/build.json'), { machine, ...result })
  console.log('written: bench/results/build.json')
}
