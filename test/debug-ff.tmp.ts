import { firstVisit, launch, within } from './helpers/browsers.ts'
import { startTracker } from '../integrations/cli/tracker.ts'
const tracker = await startTracker({ port: 0 })
import { blob, buildSite, startOrigin } from './helpers/site.ts'
const SIZE = 40 * 1024 * 1024
const BIG = blob(SIZE, 11)
const site = await buildSite({ announce: [tracker.url], peerTimeout: 60000 }, { 'data/big.bin': BIG })
const origin = await startOrigin(site)
const browser = await launch((process.env.B ?? 'firefox') as 'firefox')
try {
  const A = await firstVisit(browser, origin.url)
  const sums = await within(A.evaluate(async (url) => {
    const res = await fetch(url)
    const b = new Uint8Array(await res.arrayBuffer())
    const out: number[] = []
    for (let i = 0; i < b.length; i += 1 << 20) { let h = 0; for (let j = i; j < Math.min(b.length, i + (1 << 20)); j++) h = (Math.imul(h, 31) + b[j]!) >>> 0; out.push(h) }
    return { len: b.length, out, src: res.headers.get('X-Planktos-Source') }
  }, origin.url + 'data/big.bin'), 'fetch', 120000)
  const exp: number[] = []
  for (let i = 0; i < BIG.length; i += 1 << 20) { let h = 0; for (let j = i; j < Math.min(BIG.length, i + (1 << 20)); j++) h = (Math.imul(h, 31) + BIG[j]!) >>> 0; exp.push(h) }
  console.log(sums.len, sums.src, sums.out.map((h, i) => h === exp[i] ? 'ok' : `BAD${i}`).join(' '))
  console.log(origin.log.filter(e => e.url.includes('big')))
} finally {
  await browser.close(); await tracker.close(); await origin.close(); await site.remove()
}
