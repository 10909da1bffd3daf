// The install script of a kill-switch build (runs in the page, at the same URL as install.js): instead of
// installing planktos it removes it, so every page that still carries the tag (pages cached by browsers or CDNs,
// tags a site wrote itself) helps, even before the browser looks for a new worker. The kill-switch worker does
// the same from its side.
import { WORKER_FILE } from './shared/manifest.ts'
import { dbName } from './shared/db-name.ts'
import { restoreMedia } from './page/media.ts'

const script = (document.currentScript ?? document.querySelector('script[data-planktos]')) as HTMLScriptElement | null
const base = new URL(script?.src ?? '/', location.href).pathname.replace(/planktos\/install\.js$/, '')

void navigator.serviceWorker?.getRegistrations().then(all => {
  for (const r of all) {
    // Only planktos' own worker for this site: the origin may have others.
    if ((r.active ?? r.waiting ?? r.installing)?.scriptURL === new URL(base + WORKER_FILE, location.href).href) void r.unregister()
  }
}).catch(() => {})
try { indexedDB.deleteDatabase(dbName(base)) } catch {}
// A page of an earlier build, cached, whose media elements that build held back for the worker.
restoreMedia()

// Pages that call planktos keep working: nothing is installed.
;(window as unknown as { planktos: object }).planktos = Object.assign(new EventTarget(), {
  ready: Promise.resolve(false),
  stats: async () => ({}),
  start: async () => {},
  update: async () => false
})
