// A reproduction, run by hand (not part of `npm run bench`): Chromium loses a navigation that reaches an old service
// worker at the moment a newer one takes over. Found 2026-12-06 when a returning visitor's navigation after a redeploy
// hung in `npm run bench bill`'s population (docs/engine.md, "A navigation lost when a deploy's worker takes over").
// Plain workers, no planktos: v0 controls the page and is busy with a slow fetch when v1 installs and calls
// skipWaiting(), so v1 waits and Chromium asks v0 to stop as soon as it idles; the page's requests during that stop
// start v0 again, and the restarted v0 idles with Chromium's usual delay; the next navigation makes Chromium stop v0
// at once while handing it the navigation, which is then neither answered nor sent to the network.
//   node bench/sw-navigation-race.ts          exit 3 when the navigation hung (it did in 3 of 3 runs here)
//   HOLD=1 node bench/sw-navigation-race.ts   the workaround: a worker that starts while a newer one waits keeps
//                                              its events open until a navigation comes (4 of 4 runs answered);
//                                              planktos' worker does so (runtime/worker/lifecycle.ts, holdOn), and
//                                              test/browser-takeover.test.ts plays the sequence on it
import { createServer } from 'node:http'
import { launch } from '../test/helpers/browsers.ts'

let version = 0
const hold = process.env.HOLD === '1'
const t0 = Date.now()
const ts = (): string => ((Date.now() - t0) / 1000).toFixed(2)
const sw = (v: number): string => `// v${v}
self.addEventListener('install', e => e.waitUntil(self.skipWaiting()))
self.addEventListener('activate', e => e.waitUntil(self.clients.claim()))
${hold ? 'let release; const hold = self.registration.waiting && new Promise(r => { release = r })' : ''}
self.addEventListener('fetch', e => {
  const u = new URL(e.request.url)
  ${hold ? 'if (hold) e.waitUntil(hold)' : ''}
  if (u.pathname.startsWith('/p/')) {
    const r = fetch(e.request.url + (u.search ? '&' : '?') + 'via=v${v}')
    e.respondWith(r)
    ${hold ? "if (e.request.mode === 'navigate') r.finally(() => release?.())" : ''}
  }
})
`
const server = createServer((req, res) => {
  const u = String(req.url)
  console.log(`${ts()} origin ${u}`)
  if (u === '/sw.js') return void res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-cache' }).end(sw(version))
  if (u.startsWith('/p/slow')) return void setTimeout(() => res.writeHead(200).end('slow'), 8000)
  if (u.startsWith('/p/x')) return void res.writeHead(200).end('x')
  res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>${u}</title><p>${u}`)
})
await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`
const browser = await launch('chromium')
try {
  const context = await browser.newContext()
  const page = await context.newPage()
  // The workers' states as Chromium's DevTools protocol reports them.
  const cdp = await context.newCDPSession(page)
  const states = new Map<string, string>()
  cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }: { versions: Array<{ versionId: string, status: string, runningStatus: string }> }) => {
    for (const v of versions) {
      states.set(v.versionId, `${v.runningStatus}/${v.status}`)
      console.log(`${ts()} v${v.versionId} ${v.runningStatus} ${v.status}`)
    }
  })
  await cdp.send('ServiceWorker.enable')
  await page.goto(base + '/p/1/')
  await page.evaluate(async () => { await navigator.serviceWorker.register('/sw.js'); await navigator.serviceWorker.ready })
  await page.goto(base + '/p/2/')
  version = 1
  void page.evaluate(() => fetch('/p/slow').then(r => r.text()).catch(e => String(e)))
  await new Promise(resolve => setTimeout(resolve, 200))
  await page.evaluate(() => navigator.serviceWorker.getRegistration().then(r => r!.update()))
  while (states.get('1') !== 'running/installed' && states.get('1') !== 'stopped/installed') await new Promise(resolve => setTimeout(resolve, 50))
  // Requests every 20 ms for 9 s: some of them reach v0 while Chromium stops it once the slow fetch is done.
  const end = Date.now() + 9000
  for (let i = 0; Date.now() < end; i++) {
    void page.evaluate(n => fetch('/p/x?' + n).catch(() => {}), i)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  await new Promise(resolve => setTimeout(resolve, 1500))
  const outcome = await page.goto(base + '/p/3/', { timeout: 15_000 }).then(() => 'answered', (e: Error) => `hung (${e.message.split('\n')[0]})`)
  console.log(`${ts()} the navigation ${outcome}; workers: ${[...states].map(([id, s]) => `v${id} ${s}`).join(', ')}`)
  process.exitCode = outcome === 'answered' ? 0 : 3
} finally {
  await browser.close()
  server.close()
}
