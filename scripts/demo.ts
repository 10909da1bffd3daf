// npm run demo: builds both example sites with planktos against a local tracker, serves them, prints the URLs,
// and runs until Ctrl-C. `npm run demo -- --check` has two headless browsers visit each site instead, prints
// where the second visitor's bytes came from after its first page, and fails unless peers gave at least half.
import { spawnSync } from 'node:child_process'
import { parseArgs } from 'node:util'
import { serve, type RequestLogEntry, type ServeHandle } from '../integrations/cli/serve.ts'
import { startTracker } from '../integrations/cli/tracker.ts'
import { buildExampleSite, pagesOf, root, SITES } from './demo-sites.ts'

const { values } = parseArgs({ options: { check: { type: 'boolean' } } })

const tracker = await startTracker({ port: 0 })
const servers: ServeHandle[] = []
const logs: RequestLogEntry[][] = []

try {
  const runtime = spawnSync(process.execPath, ['scripts/build.ts'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] })
  if (runtime.status !== 0) throw new Error(`demo: building planktos failed (exit ${runtime.status})`)
  for (const site of SITES) {
    console.log(`demo: building the ${site.name} example site with planktos…`)
    // The tracker's port is only known now, so the sites are built on every run.
    buildExampleSite(site, tracker.url)
  }
  for (const site of SITES) {
    const log: RequestLogEntry[] = []
    logs.push(log)
    servers.push(await serve({ dir: site.dir, port: 0, onRequest: e => log.push(e) }))
  }
  if (values.check) {
    const { check, describe, ENOUGH } = await import('./demo-check.ts')
    let ok = true
    for (const [i, site] of SITES.entries()) {
      const result = await check(servers[i]!.url, await pagesOf(site.dir), logs[i]!)
      console.log(describe(site.name, result))
      ok &&= result.share >= ENOUGH
    }
    process.exitCode = ok ? 0 : 1
  } else {
    console.log(`\nplanktos demo: tracker ${tracker.url}`)
    for (const [i, site] of SITES.entries()) console.log(`  ${site.name.padEnd(9)} ${servers[i]!.url}`)
    console.log(`\nOpen a URL in two browser windows that do not share storage (say, a normal and a private window,
or two browsers). Browse a few pages in the first, then the same pages in the second: add #planktos-debug
to a URL to see bytes from peers and from the origin, or run "await planktos.stats()" in the console.
Ctrl-C stops the servers and the tracker.`)
    await new Promise(resolve => { process.once('SIGINT', resolve); process.once('SIGTERM', resolve) })
  }
} finally {
  await Promise.all(servers.map(s => s.close()))
  await tracker.close()
}
