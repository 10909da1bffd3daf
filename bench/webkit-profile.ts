// Where a WebKit visitor's time goes (issue 15, the `webkit` part): per page of the `webkit` part's walk, its
// load-event time, its navigation's timings, what the origin sent (status, Range, bytes), and each resource's timings
// (Resource Timing; a file the worker streams may be missing there), with and without planktos, interleaved. A
// diagnostic, not a benchmark: it writes nothing. Usage: node bench/webkit-profile.ts [runs]
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTracker } from '../integrations/cli/tracker.ts'
import { WebKitBrowser } from '../test/helpers/webkit.ts'
import { prepareSites } from './sites.ts'
import { startOrigin } from './visitors-bench.ts'

const tracker = await startTracker({ port: 0 })
const [site] = await prepareSites(join(tmpdir(), 'planktos-webkit-profile'), tracker.url, console.log, ['eleventy'])
const path = ['', 'blog/', 'about/', 'blog/harbour-tune/']
const browser = await WebKitBrowser.launch()
const runs = Number(process.argv[2] ?? 2)
for (let i = 0; i < runs; i++) {
  for (const variant of ['plain', 'planktos'] as const) {
    const origin = await startOrigin(variant === 'plain' ? site!.plain : site!.planktos)
    const ctx = await browser.newContext()
    const page = await ctx.newPage()
    const t0 = performance.now()
    for (const p of path) {
      const mark = origin.log.length
      await page.goto(origin.url + p)
      const r = await page.evaluate(() => {
        const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming
        const res = (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).map(e => `${new URL(e.name).pathname.slice(-28)} start ${Math.round(e.startTime)} ws ${Math.round(e.workerStart)} rs ${Math.round(e.responseStart)} end ${Math.round(e.responseEnd)}`)
        return { load: Math.round(nav.loadEventEnd - nav.startTime), ws: Math.round(nav.workerStart), rs: Math.round(nav.responseStart), re: Math.round(nav.responseEnd), dcl: Math.round(nav.domContentLoadedEventEnd), res }
      })
      console.log(`${variant} ${p || '/'}: load ${r.load} (nav workerStart ${r.ws} responseStart ${r.rs} responseEnd ${r.re} DCL ${r.dcl}) origin: ${origin.log.slice(mark).map(e => `${e.url} ${e.status}${e.range ? ` ${e.range}` : ''} ${e.bytes} B`).join(', ')}`)
      for (const l of r.res) console.log('    ' + l)
      await page.waitForTimeout(500)
    }
    console.log(`${variant} total ${Math.round(performance.now() - t0)} ms`)
    await ctx.close()
    await origin.close()
  }
}
await browser.close()
await tracker.close()
