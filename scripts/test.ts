// npm test: builds, then runs every test file in its own process (a hung browser cannot stall the others),
// and ends with one "N passed, N failed" line.
import { spawn, spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const filter = process.argv[2] ? new RegExp(process.argv[2]) : null
// A whole file that runs this long is hung; the tests' own waits are much shorter.
const FILE_TIMEOUT_MS = 15 * 60 * 1000

if (!process.env.PLANKTOS_SKIP_BUILD) {
  const built = spawnSync(process.execPath, ['scripts/build.ts'], { cwd: root, stdio: 'inherit' })
  if (built.status !== 0) process.exit(built.status ?? 1)
}

const files = readdirSync(new URL('../test', import.meta.url))
  .filter(f => f.endsWith('.test.ts') && (!filter || filter.test(f)))
  .sort()

let passed = 0
let failed = 0
const failures: string[] = []
for (const file of files) {
  const started = Date.now()
  const { code, output } = await runFile(`test/${file}`)
  const totals = /Total:\s+(\d+)\s+Passed:\s+(\d+)/.exec(output.replace(/\x1b\[[0-9;]*m/g, ''))
  const total = totals ? Number(totals[1]) : 0
  const ok = totals ? Number(totals[2]) : 0
  passed += ok
  const bad = code === 0 && totals ? total - ok : Math.max(1, total - ok)
  failed += bad
  if (code !== 0 || bad) failures.push(file)
  console.log(`${bad ? 'FAIL' : 'ok  '} ${file}: ${ok}/${total} in ${((Date.now() - started) / 1000).toFixed(1)} s`)
}
if (failures.length) console.log(`\nfailed: ${failures.join(', ')}`)
console.log(`\n${passed} passed, ${failed} failed`)
process.exitCode = failed || files.length === 0 ? 1 : 0

function runFile (file: string): Promise<{ code: number, output: string }> {
  return new Promise(resolve => {
    const child = spawn(process.execPath, [file], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    const collect = (chunk: Buffer): void => {
      output += chunk
      process.stdout.write(chunk)
    }
    child.stdout.on('data', collect)
    child.stderr.on('data', collect)
    const timer = setTimeout(() => {
      output += `\n${file} timed out after ${FILE_TIMEOUT_MS / 60000} minutes`
      child.kill('SIGKILL')
    }, FILE_TIMEOUT_MS)
    child.on('close', code => {
      clearTimeout(timer)
      resolve({ code: code ?? 1, output })
    })
  })
}
