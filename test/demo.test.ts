// `npm run demo -- --check`, exactly as the README tells a newcomer to run it: both example sites are built with
// planktos and served, two headless visitors browse each, and the second must get at least half of its bytes
// after its first page from the first.
import { spawn } from 'node:child_process'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { root } from '../scripts/demo-sites.ts'

// A hang detector only: two site builds and four browsers on a slow shared machine.
const HANG_MS = 10 * 60 * 1000

function demoCheck (): Promise<{ code: number | null, output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['scripts/demo.ts', '--check'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', chunk => { output += chunk })
    child.stderr.on('data', chunk => { output += chunk })
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`hang: demo --check ran ${HANG_MS} ms\n${output}`)) }, HANG_MS)
    child.on('close', code => { clearTimeout(timer); resolve({ code, output }) })
  })
}

const test = suite('npm run demo -- --check')

test('reports both sites with at least half of the second visitor\'s bytes from peers, and exits 0', async () => {
  const { code, output } = await demoCheck()
  const shares = new Map([...output.matchAll(/^demo check \((\w+)\): .*: ([\d.]+)% from peers/gm)].map(m => [m[1], Number(m[2])]))
  assert.equal([...shares.keys()], ['astro', 'eleventy'], output)
  for (const [site, share] of shares) assert.ok(share >= 50, `${site}: ${share}% from peers\n${output}`)
  assert.is(code, 0, output)
})

test.run()
