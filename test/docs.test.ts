// The documentation: the README is a front page, every link in it and in docs/ leads somewhere, and the benchmark
// figures in docs/benchmarks.md are the ones bench/results/ holds, and docs/options.md's table is the options table's
// (one source for each figure and each option).
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync } from 'node:fs'
import { readdir, readFile, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generatedDocs } from '../scripts/docs.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
// Written on other branches at the same time (issues 12, 14 and 15); linked from the README already.
const ELSEWHERE = ['docs/security.md', 'docs/tracker.md', 'docs/browsers.md']

const docs = suite('docs')

docs('the README is a front page of at most 15 KB, and its two commands exist', async () => {
  assert.ok((await stat(join(root, 'README.md'))).size <= 15 * 1024)
  const readme = await readFile(join(root, 'README.md'), 'utf8')
  const { scripts } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'))
  for (const command of readme.match(/npm (?:run [a-z:]+|test)/g) ?? []) {
    const name = command === 'npm test' ? 'test' : command.slice('npm run '.length)
    assert.ok(scripts[name], `the README runs "${command}", which package.json does not have`)
  }
})

docs('every relative link in the README and docs/ leads to a file that exists', async () => {
  const files = ['README.md', ...(await readdir(join(root, 'docs'))).filter(f => f.endsWith('.md')).map(f => `docs/${f}`)]
  for (const file of files) {
    const text = await readFile(join(root, file), 'utf8')
    for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue
      const path = join(dirname(join(root, file)), target!).slice(root.length)
      if (ELSEWHERE.includes(path) && !existsSync(join(root, path))) continue
      assert.ok(existsSync(join(root, path)), `${file} links to ${target}, which does not exist`)
    }
  }
})

docs('docs/benchmarks.md, the options table and the runtime sizes table are what `npm run docs` makes of their sources now', async () => {
  for (const [path, wanted] of Object.entries(await generatedDocs())) {
    assert.ok(await readFile(join(root, path), 'utf8') === wanted, `${path} is stale; run "npm run docs"`)
  }
})

docs.run()
