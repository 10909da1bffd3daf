// npm run build: compiles the Node side to dist/ and bundles the browser runtime into dist/runtime/.
import { spawnSync } from 'node:child_process'
import { chmodSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

function run (command: string, args: string[]): void {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' })
  if (result.status !== 0) {
    console.error(`build: "${command} ${args.join(' ')}" failed`)
    process.exit(result.status ?? 1)
  }
}

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true })
run('tsc', ['-p', 'tsconfig.build.json'])
chmodSync(new URL('../dist/integrations/cli/index.js', import.meta.url), 0o755)
run(process.execPath, ['scripts/build-runtime.ts'])
