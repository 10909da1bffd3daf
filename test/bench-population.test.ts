// The bill's population (bench/population.ts) and its median-weight site (bench/median-site.ts) are what issue 13
// states: half the visitors bounce, the rest read 2–6 pages, a third come back after a redeploy, the same visits on
// every run; the second deploy changes some files and keeps the others byte for byte. The run itself is a benchmark.
import { createHash } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { makeMedianSite, PAGES } from '../bench/median-site.ts'
import { plan } from '../bench/population.ts'

const visits = suite('the population of 20 visitors')

visits('half of the first day\'s visitors read one page; the others read 2 to 6 distinct pages', () => {
  const day = plan().filter(v => !v.returning)
  assert.is(day.length, 20)
  assert.equal(new Set(day.map(v => v.visitor)).size, 20)
  assert.is(day.filter(v => v.pages.length === 1).length, 10)
  for (const v of day.filter(v => v.pages.length > 1)) {
    assert.ok(v.pages.length >= 2 && v.pages.length <= 6, `visitor ${v.visitor}: ${v.pages.length} pages`)
    assert.is(new Set(v.pages).size, v.pages.length, `visitor ${v.visitor} reads each page once`)
  }
  for (const v of plan()) for (const p of v.pages) assert.ok(p >= 0 && p < PAGES)
})

visits('a third of them come back, each once, after all of the first day', () => {
  const all = plan()
  const back = all.filter(v => v.returning)
  assert.is(back.length, 7)
  assert.equal(new Set(back.map(v => v.visitor)).size, 7)
  assert.ok(all.findIndex(v => v.returning) === 20, 'the returning visits come last')
})

visits('a seed gives the same visits every time, another seed others', () => {
  assert.equal(plan(13), plan(13))
  assert.not.equal(plan(13), plan(14))
})

visits.run()

const site = suite('the median-weight site and its redeploy')

async function files (dir: string): Promise<Map<string, { sha: string, size: number, mtime: number }>> {
  const out = new Map<string, { sha: string, size: number, mtime: number }>()
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue
    const path = join(e.parentPath, e.name)
    out.set(path.slice(dir.length + 1), { sha: createHash('sha256').update(await readFile(path)).digest('hex'), size: (await stat(path)).size, mtime: (await stat(path)).mtimeMs })
  }
  return out
}

site('pages weigh about the median, and the second deploy keeps most files and their ETags (size and mtime)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'planktos-median-'))
  try {
    await makeMedianSite(join(dir, '1'), 13, 1)
    await makeMedianSite(join(dir, '2'), 13, 2)
    const [one, two] = [await files(join(dir, '1')), await files(join(dir, '2'))]
    const raw = [...one.values()].reduce((s, f) => s + f.size, 0)
    assert.ok(raw > PAGES * 1_100_000, `the site holds ${raw} bytes`)
    const kept = [...two].filter(([path, f]) => one.get(path)?.sha === f.sha)
    const changed = [...two].filter(([path, f]) => one.has(path) && one.get(path)!.sha !== f.sha).map(([path]) => path)
    const added = [...two.keys()].filter(path => !one.has(path))
    // Every page names the new script bundle; one image and the bundle are new files.
    assert.is(changed.length, PAGES, changed.join(' '))
    assert.is(added.length, 2, added.join(' '))
    assert.ok(kept.length > PAGES * 3, `${kept.length} files unchanged`)
    for (const [path, f] of kept) assert.is(f.mtime, one.get(path)!.mtime, `${path} keeps its mtime`)
    for (const path of changed) assert.is.not(two.get(path)!.mtime, one.get(path)!.mtime, `${path} gets another mtime`)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

site.run()
