// A deploy's worker taking over while the visitor keeps reading. Chromium stops an old worker that it had to restart
// while a newer one waits, at the moment it hands that worker a navigation, and the navigation is then neither
// answered nor sent to the network (docs/engine.md, "A navigation lost when a deploy's worker takes over"). This is
// the sequence that met it in the bill's population, on planktos' own worker: the page waits on a slow site file
// while the new worker installs, its requests restart the old worker after Chromium stopped it, then it navigates.
import * as assert from 'uvu/assert'
import { firstVisit, within } from './helpers/browsers.ts'
import { startProxy } from './helpers/proxy.ts'
import { redeploy } from './helpers/redeploy.ts'
import { buildSite, startOrigin } from './helpers/site.ts'
import { browserSuites } from './helpers/suite.ts'

/** How long the origin holds the slow file: the old worker is busy with it while the new one installs. */
const SLOW = 8_000

/** What Chromium's DevTools protocol says of the site's workers: whether the race's state was met, and what it saw. */
interface Watch { installed: boolean, restarted: boolean, active?: string, stopped: Set<string> }

browserSuites(name => `${name}: a deploy's worker taking over`, ({ test, name, own, ownSite }) => {
  test('a navigation right after the new worker took over is answered', async ({ browser }) => {
    const site = ownSite(await buildSite({}, { 'slow.txt': 'slow\n' }))
    const origin = own(await startOrigin(site))
    const proxy = own(await startProxy(origin))
    proxy.handler = async (req) => {
      if (req.url?.endsWith('/slow.txt')) await new Promise(resolve => setTimeout(resolve, SLOW))
      return false
    }
    const page = await firstVisit(browser, proxy.url)
    await page.goto(proxy.url + 'about/')
    const waiting = (): Promise<boolean> => page.evaluate(() => navigator.serviceWorker.getRegistration().then(r => Boolean(r?.waiting)))
    // Chromium only: whether the old worker was started again after the new one installed (the race's state). A
    // deploy whose timing misses it (the new worker takes over as it should) proves little, and is tried again.
    const watch: Watch = { installed: false, restarted: false, stopped: new Set() }
    if (name === 'chromium') {
      const cdp = await page.context().newCDPSession(page)
      cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
        for (const v of versions) {
          if (v.status === 'installed') watch.installed = true
          if (v.status !== 'activated') continue
          watch.active = v.versionId
          if (v.runningStatus === 'stopped') watch.stopped.add(v.versionId)
          else if (watch.installed && watch.stopped.has(v.versionId)) watch.restarted = true
        }
      })
      await cdp.send('ServiceWorker.enable')
    }
    const titles = ['About this site']
    for (let attempt = 1; ; attempt++) {
      titles.push(`Deploy ${attempt + 1}`)
      await redeploy(site, { 'about/index.html': `<!doctype html><title>About</title><h1 id="title">${titles.at(-1)!}</h1>\n` })
      watch.installed = watch.restarted = false
      // The old worker answers the slow file (not stored: it goes to the origin) while the new worker installs.
      const slow = page.evaluate(url => fetch(url).then(r => r.text(), e => String(e)), proxy.url + 'slow.txt')
      await page.waitForTimeout(200)
      await page.evaluate(() => navigator.serviceWorker.getRegistration().then(r => r?.update()))
      await within((async () => {
        while (await page.evaluate(() => navigator.serviceWorker.getRegistration().then(r => r?.installing))) await page.waitForTimeout(50)
      })(), 'the new worker to install')
      // Requests every 20 ms while the slow file ends: Chromium stops the old worker once it is idle, and one of
      // these starts it again.
      const burst: Array<Promise<unknown>> = []
      for (const end = Date.now() + SLOW + 1_000; Date.now() < end;) {
        burst.push(page.evaluate(url => fetch(url).then(r => r.status, () => 0), proxy.url + 'style.css').catch(() => 0))
        await page.waitForTimeout(20)
      }
      assert.is(await slow, 'slow\n', 'the slow file')
      await Promise.all(burst)
      await page.waitForTimeout(1_500)
      if (name !== 'chromium') break
      if (watch.restarted && await waiting()) {
        console.log(`  ${name}: the old worker started again while the new one waited, at try ${attempt}`)
        break
      }
      // A run that misses it misses it in every try: by the check, the new worker has already taken over each time
      // (CI rehearsals 47, 50, 56 and 57 of 2026-12-07; about 1 run in 4 here, bimodal per run, cause not found).
      // Failing then failed CI for want of Chromium's timing, not for a navigation lost: the navigation after this
      // ordinary takeover is still checked below, and the run says the race's state was not met.
      if (attempt === 3) {
        console.log(`  ${name}: the race's state was not met in ${attempt} deploys (versions stopped: ${[...watch.stopped].join(' ')}; active: ${watch.active}; one waiting: ${await waiting()}); the navigation after an ordinary takeover is checked instead`)
        break
      }
      // The new worker takes over as it should: the next deploy tries again.
      await within((async () => { while (await waiting()) await page.waitForTimeout(50) })(), 'the new worker to take over')
    }
    const res = await page.goto(proxy.url + 'about/', { timeout: 15_000 }).catch((e: Error) => {
      throw new Error(`the navigation after the takeover: ${e.message.split('\n')[0]}; the origin served last: ${origin.log.slice(-6).map(r => `${r.url} ${r.status}`).join(', ')}`)
    })
    // The old worker may answer it from a build it knows. (No second navigation right after: one that comes as
    // Chromium stops the old worker to hand over, once it is idle, can meet the same loss; engine.md says so.)
    assert.is(res?.status(), 200, 'the navigation\'s status')
    assert.ok(titles.includes(await page.textContent('#title') ?? ''), 'the page shown')
  })
})
