// A visitor's first page holds an <audio preload="metadata">, which would start loading while the page is parsed,
// before any worker exists; two other visitors hold the file. The builder holds the element back (preload="none")
// and install.js gives it its preload back once the worker controls the page, so it loads nothing before that. The
// visitor presses play once install.js has loaded the element again through the worker. The page must play as it
// does without planktos (no MediaError: Chromium refuses a media resource whose ranges come partly from the network
// and partly from a worker). In Chromium and Firefox.
import * as assert from 'uvu/assert'
import type { Page } from 'playwright-core'
import { startTracker } from '../integrations/cli/tracker.ts'
import { silentWav } from '../sites/shared/make-media.ts'
import { BROWSERS, controlled, installed, pageFetch, startDownloader, stats, until, visitor, within } from './helpers/browsers.ts'
import { blob, buildSite, startOrigin } from './helpers/site.ts'
import { browsersSuite } from './helpers/suite.ts'

const FILE = 'media/clip.wav'
/** 4 MiB of noise: about 24 s of 16-bit stereo at 44.1 kHz; noise does not compress, like video. */
const CLIP = (() => {
  const size = 4 * 1024 * 1024
  const out = silentWav(size)
  out.set(blob(size, 31), 44)
  return new Uint8Array(out)
})()
const HOLDERS = 2
// preload="metadata", as most players set it: the element asks for the file's start while the page is parsed.
const PAGE = `<!doctype html><html><head><title>Listen</title></head><body><h1>Listen</h1>
<audio src="${FILE}" preload="metadata" controls></audio></body></html>`

/** Plays the page's <audio> to its end, muted and fast; the element's error if it fails, undefined if it ends. */
function play (page: Page): Promise<string | undefined> {
  return within(page.evaluate(() => new Promise<string | undefined>(resolve => {
    const a = document.querySelector('audio')!
    const failed = (): void => resolve(`MediaError ${a.error?.code ?? '?'}: ${a.error?.message ?? ''}`)
    if (a.error) return failed()
    a.muted = true
    a.playbackRate = 16
    a.addEventListener('ended', () => resolve(a.error ? failed() : undefined), { once: true })
    a.addEventListener('error', failed, { once: true })
    a.play().catch((e: Error) => resolve(`play() refused: ${e.message}`))
  })), 'the clip to play to its end', 90_000)
}

/** Records the page's media events and when the worker took control, for the failure messages. */
function recordMediaEvents (): void {
  const t0 = performance.now()
  const events: string[] = []
  ;(window as unknown as { mediaEvents: string[] }).mediaEvents = events
  const at = (what: string): number => events.push(`${what}@${Math.round(performance.now() - t0)}`)
  navigator.serviceWorker?.addEventListener('controllerchange', () => at('controlled'))
  for (const type of ['loadstart', 'emptied', 'loadedmetadata', 'canplay', 'play', 'error', 'ended']) {
    addEventListener(type, () => at(type), true)
  }
}

const test = browsersSuite('a media element on a first page')

for (const name of BROWSERS) {
  test(`${name}: a first page's <audio> plays to its end once the worker claims the page`, async ({ browsers }) => {
    const browser = browsers.get(name)!
    const tracker = await startTracker({ port: 0 })
    const site = await buildSite({ announce: [tracker.url], peerTimeout: 2000 }, { [FILE]: CLIP, 'listen.html': PAGE })
    const origin = await startOrigin(site)
    const contexts = [...browser.contexts()]
    try {
      for (let i = 0; i < HOLDERS; i++) {
        const page = await (await visitor(browser)).newPage()
        await page.goto(origin.url)
        await installed(page)
        await controlled(page)
        await pageFetch(page, origin.url + FILE)
        await until(page, 'a holder to store the file', s => (s.worker?.stored ?? 0) >= 1)
        await startDownloader(page)
      }
      const mark = origin.log.length
      const page = await (await visitor(browser)).newPage()
      await page.context().addInitScript(recordMediaEvents)
      await page.goto(origin.url + 'listen.html')
      await installed(page)
      await controlled(page)
      // The visitor presses play once install.js has loaded the element again through the worker (it marks it
      // crossorigin as it does). Pressing play in the instant between the worker's claim and that reload still
      // fails in Chromium, as an element already playing does (docs/engine.md).
      await within(page.waitForFunction(() => document.querySelector('audio')!.hasAttribute('crossorigin')), 'install.js to load the clip again through the worker')
      await within(page.waitForFunction(() => document.querySelector('audio')!.readyState > 0), 'the clip\'s metadata to load through the worker')
      const held = await page.evaluate(() => {
        const events = (window as unknown as { mediaEvents: string[] }).mediaEvents
        const index = (what: string): number => events.findIndex(e => e.startsWith(what + '@'))
        const a = document.querySelector('audio')!
        return { controlled: index('controlled'), metadata: index('loadedmetadata'), preload: a.getAttribute('preload'), marked: a.hasAttribute('data-planktos-preload'), events: events.join(' ') }
      })
      assert.ok(held.controlled >= 0 && held.metadata > held.controlled, `the element loads nothing before the worker controls the page (${held.events})`)
      assert.is(held.preload, 'metadata', 'install.js gives the element its own preload back')
      assert.is(held.marked, false, 'and takes the builder\'s mark off')
      const failed = await play(page)
      const events = await page.evaluate(() => (window as unknown as { mediaEvents: string[] }).mediaEvents.join(' '))
      assert.is(failed, undefined, `the clip plays as it does without planktos (${events})`)
      assert.is(await page.evaluate(() => document.querySelector('audio')!.error), null)
      // What the origin sent is a cost, measured side by side with the page without planktos by the bill bench
      // (bench/media-page.ts), not asserted here: when this visitor's peers connect late, its worker takes what they
      // have not brought from the origin.
      const sent = origin.log.slice(mark).filter(e => e.url === '/' + FILE).reduce((n, e) => n + e.bytes, 0)
      const fromPeers = (await stats(page)).worker?.downloaders.fromPeers ?? 0
      console.log(`  ${name}: the origin sent ${sent} bytes of the ${CLIP.length}-byte clip; peers ${fromPeers}`)
    } finally {
      for (const c of browser.contexts()) if (!contexts.includes(c)) await c.close()
      await origin.close()
      await tracker.close()
      await site.remove()
    }
  })
}

// Two elements: one with a preload of its own, one without (the common case: the mark is empty, and install.js
// takes preload="none" away again).
const TWO = `<!doctype html><html><head><title>Listen</title></head><body><h1>Listen</h1>
<audio id="a" src="${FILE}" preload="metadata" controls></audio><audio id="b" src="${FILE}" controls></audio></body></html>`
/** Page scripts that leave install.js no worker to wait for, or one it waits for in vain. */
const NO_WORKER = {
  // As in a browser without service workers (or a private window of one that refuses them): at once.
  'no service worker': () => Object.defineProperty(Navigator.prototype, 'serviceWorker', { get: () => undefined, configurable: true }),
  // As on a hard reload, where the browser keeps the page from an active worker and `ready` never settles: after
  // install.js's wait (5 s).
  'a registration that never settles': () => {
    ServiceWorkerContainer.prototype.register = () => new Promise(() => {})
    Object.defineProperty(ServiceWorkerContainer.prototype, 'controller', { get: () => null, configurable: true })
  }
}

for (const name of BROWSERS) {
  test(`${name}: where no worker answers, held-back media elements get their preload back, later ones too`, async ({ browsers }) => {
    const browser = browsers.get(name)!
    const site = await buildSite({}, { [FILE]: CLIP, 'listen.html': TWO })
    const origin = await startOrigin(site)
    try {
      assert.match(await (await fetch(origin.url + 'listen.html')).text(), `<audio id="a" src="${FILE}" preload="none" data-planktos-preload="metadata" controls></audio><audio preload="none" data-planktos-preload="" id="b"`, 'the builder held both elements back (else this tests nothing)')
      for (const [how, script] of Object.entries(NO_WORKER)) {
        const context = await visitor(browser)
        try {
          await context.addInitScript(script)
          const page = await context.newPage()
          await page.goto(origin.url + 'listen.html')
          await within(page.waitForFunction(() => [...document.querySelectorAll('audio')].every(a => a.readyState > 0)), `${how}: both elements' metadata to load`)
          // A script (a client-side router, say) adds held-back elements later; one whose page chose a preload keeps it.
          await page.evaluate(file => document.body.insertAdjacentHTML('beforeend', `<audio id="c" src="${file}" preload="none" data-planktos-preload="metadata"></audio><audio id="d" src="${file}" preload="auto" data-planktos-preload="metadata"></audio>`), FILE)
          await within(page.waitForFunction(() => !document.querySelector('[data-planktos-preload]')), `${how}: the later elements to be restored`)
          const got = await page.evaluate(() => [...document.querySelectorAll('audio')].map(a => `${a.id}:${a.getAttribute('preload')}`).join(' '))
          assert.is(got, 'a:metadata b:null c:metadata d:auto', how)
          assert.ok(origin.log.some(e => e.url === '/' + FILE), `${how}: the clip came from the origin`)
        } finally {
          await context.close()
        }
      }
    } finally {
      await origin.close()
      await site.remove()
    }
  })
}

test.run()
