// The tag every page loads (runs in the page, as a classic async script, so it never blocks rendering):
// registers the worker with the site's base as scope, defines `window.planktos`, and starts the downloader
// as soon as the worker asks it for peers, or when the page calls `start()` or `enableP2P()`, or when a page the
// worker controlled from its start is idle (in a browser without WebRTC, only on `start()` or `enableP2P()`). A
// visitor's first page starts it only after the visitor stayed STAY ms: a visitor who leaves sooner (most of those who
// read one page and leave) would pay the origin the downloader, a torrent and a part for nothing (docs/engine.md).
// It must stay near 1 KB brotli (scripts/runtime-entries.ts): everything else (the `stats` event, the overlay,
// consent, prefetch) lives in the downloader.
import type { Downloader } from './downloader.ts'
import { restoreMedia } from './page/media.ts'
import type { DownloaderStats, Message, WorkerStats } from './shared/messages.ts'

/** `window.planktos`; its `stats` event carries a `StatsDetail` (fired by the downloader when counters change). */
export interface Planktos extends EventTarget {
  /** Resolves true once the worker controls this page; false where there is no service worker. */
  ready: Promise<boolean>
  /** The worker's counters and, if it runs on this page, the downloader's. */
  stats (): Promise<{ worker?: WorkerStats, downloader?: DownloaderStats }>
  /** Starts the downloader now instead of when the page is idle. */
  start (): Promise<void>
  /**
   * With `update: 'prompt'`, after the `update` event: lets the new deploy's worker take over. Resolves true once it
   * controls this page (reloading is the page's choice), false when no deploy is waiting.
   */
  update (): Promise<boolean>
  /** Allows trackers and peer connections for this site, now and on later visits (`p2p: 'opt-in'`); false withdraws. */
  enableP2P (allow?: boolean): Promise<void>
}

const WAIT = 5000
/** How long a visitor reads a first page before its downloader starts by itself. */
const STAY = 15_000
// Without WebRTC there are no peers: the downloader (WebTorrent, torrents, trackers) would only cost time and bytes.
const webrtc = 'RTCPeerConnection' in window
const sw = navigator.serviceWorker as ServiceWorkerContainer | undefined
const script = (document.currentScript ?? document.querySelector('script[data-planktos]')) as HTMLScriptElement | null
// The builder puts this script at <base>planktos/install.js; the base is what precedes that.
const base = new URL(script?.src ?? '/', location.href).pathname.replace(/planktos\/install\.js$/, '')
const own = new URL(base + 'planktos-sw.js', location.href).href
let downloader: Promise<Downloader> | undefined
const events = new EventTarget()
const announce = (): boolean => events.dispatchEvent(new Event('update'))
const post = (m: Message): void => sw?.controller?.postMessage(m)

const load = (): Promise<Downloader> =>
  (downloader ??= import(base + 'planktos/downloader.js').then((m: typeof import('./downloader.ts')) => m.start(base, planktos)))

/** One request to the controlling worker, answered on a MessageChannel, or undefined after WAIT. */
const ask = (message: Message): Promise<Message | undefined> => new Promise(resolve => {
  const { port1, port2 } = new MessageChannel()
  port1.onmessage = e => resolve(e.data as Message)
  setTimeout(resolve, WAIT)
  if (sw?.controller) sw.controller.postMessage(message, [port2])
  else resolve(undefined)
})

let ready: Promise<boolean> = Promise.resolve(false)
if (sw) {
  const firstVisit = !sw.controller
  ready = new Promise(resolve => {
    // Once the controller is activated: WebKit sends a navigation made while the worker still activates to the
    // network as well as to the worker, and the origin would send that page twice.
    const on = (): void => {
      const c = sw.controller
      if (c?.state === 'activated') resolve(true)
      else c?.addEventListener('statechange', on, { once: true })
    }
    on()
    sw.addEventListener('controllerchange', on)
    // A registration that is refused, or whose worker fails to install, leaves the page as it is.
    sw.register(own, { scope: base }).then(reg => {
      const w = reg?.installing ?? reg?.waiting ?? reg?.active
      if (!w) resolve(false)
      w?.addEventListener('statechange', () => { if (w.state === 'redundant') resolve(false) })
    }, () => resolve(false))
  })
  sw.addEventListener('message', e => {
    // Another worker of this origin (another scope's) can post to this page too: only planktos' own is heard.
    if ((e.source as ServiceWorker | null)?.scriptURL !== own) return
    const m = e.data as Message | null
    const port = e.ports[0]
    if (m?.type === 'peer-request' && port) {
      (webrtc ? load() : Promise.reject()).then(d => d.onPeerRequest(m, port), () => port.postMessage({ type: 'miss' } satisfies Message))
    }
    if (m?.type === 'start' && webrtc) load().catch(() => {})
    if (m?.type === 'stored') void downloader?.then(d => d.onStored(m), () => {})
    if (m?.type === 'evicted') void downloader?.then(d => d.onEvicted(m.sha256), () => {})
    if (m?.type === 'keep-alive') post({ type: 'hello', webrtc })
    if (m?.type === 'update-waiting') announce()
  })
  // The worker's messages are held back until the page starts its message queue.
  sw.startMessages()
  void ready.then(ok => {
    if (!ok) return
    // Only now may the worker ask this page for peers: earlier messages could have been lost.
    post({ type: 'hello', webrtc })
    // A page that came from the origin before the worker existed says what it loaded, so those files are
    // stored (from the HTTP cache) and seeded without being downloaded again.
    if (firstVisit) {
      post({ type: 'seen', urls: [location.href, ...performance.getEntriesByType('resource').map(e => e.name)] })
      // A media element that started loading before the worker existed loads again, through it: Chromium refuses
      // a no-cors media resource whose ranges came partly from the network and partly from a worker (MediaError 2),
      // and its later ranges can now come from peers. In CORS mode (same-origin files only) it gets a fresh
      // resource in Chromium's media cache, which would otherwise hand back the network's copy. Where it was and
      // whether it played are kept.
      for (const m of document.querySelectorAll<HTMLMediaElement>('audio,video')) {
        if (m.paused && m.currentSrc.startsWith(location.origin + base)) {
          m.crossOrigin = ''
          m.load()
        }
      }
    }
    // Without a worker to answer, the downloader would be useless: it starts only once the page is controlled.
    const idle = (): void => {
      const start = (): void => { load().catch(() => {}) }
      if (webrtc) {
        // (A first page with #planktos-debug is told to start by the worker.)
        if (!firstVisit) (window.requestIdleCallback ?? setTimeout)(start)
        else setTimeout(start, STAY)
      }
      // A deploy that was already waiting when this page loaded: told once the page's own scripts could listen.
      void sw.getRegistration(base).then(r => r?.waiting && announce())
    }
    if (document.readyState === 'complete') idle()
    else addEventListener('load', idle)
  })
}

// The builder held back the site's media elements: they load once the worker can answer them (from peers), or at
// once where no peer could (no WebRTC, no worker, a worker that failed), and after WAIT in any case: `ready` never
// settles on a page the browser keeps from an active worker (a hard reload).
void new Promise(resolve => {
  if (!webrtc) resolve(0)
  void ready.then(resolve)
  setTimeout(resolve, WAIT)
}).then(restoreMedia)

const planktos: Planktos = Object.assign(events, {
  ready,
  async stats () {
    // The downloader first: it reports its traffic to the worker, so the worker's totals include it.
    const d = await downloader?.then(d => d.stats(), () => undefined)
    const reply = await ask({ type: 'stats-request' })
    // Only a `stats` reply has `stats`.
    return { worker: (reply as { stats?: WorkerStats } | undefined)?.stats, downloader: d }
  },
  start: () => load().then(() => {}),
  async update () {
    const r = await sw?.getRegistration(base)
    const next = r?.waiting ?? r?.installing
    if (!next) return false
    const taken = new Promise(resolve => sw!.addEventListener('controllerchange', resolve, { once: true }))
    next.postMessage({ type: 'skip-waiting' } satisfies Message)
    return taken.then(() => true)
  },
  enableP2P: (allow?: boolean) => load().then(d => d.enableP2P(allow))
})
;(window as unknown as { planktos: Planktos }).planktos = planktos
