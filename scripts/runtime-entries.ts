// The runtime's entries and their size budgets: one source for the build (scripts/build-runtime.ts), which fails
// over a budget, and for the sizes table `npm run docs` writes into docs/how-it-works.md.
import type { ModuleFormat } from 'rollup'

const KB = 1024

export interface Entry {
  name: string
  input: string
  /** The install script and the worker are classic scripts; the downloader is imported as a module. */
  format: ModuleFormat
  /** Brotli bytes allowed for the whole file. */
  budget: number
  /** What the docs call it (Markdown): the name a site serves it under. */
  served: string
}

export const entries: Entry[] = [
  // 1 KB until it restored the media elements the builder holds back for the worker (runtime/page/media.ts): ~125 B
  // every visitor pays so that a first page's media file can come from peers instead of the origin.
  { name: 'install', input: 'runtime/install.ts', format: 'iife', budget: 1 * KB + 128, served: '`install.js`' },
  // 12 KB until its first pages' files were stored only once the visitor stays (worker/seen.ts): those ~150 B save a
  // bouncing visitor the shard parts (1.5-1.8 KB on the example sites). 12 KB + 256 until an old worker held its
  // events while a new one waits (worker/lifecycle.ts): ~160 B so that Chromium does not lose a navigation after a
  // deploy. 12 KB + 512 until a range far past where a large file's download has got (a media element's seek) was
  // asked of the origin at once unless peers supply the download fast enough, instead of waiting for the download, and
  // a download stopped reading the whole file while nobody read it (worker/stream.ts): ~380 B, of which ~140 B were
  // found in the worker's repeated code, so that a seek is not slower than without planktos. 12 KB + 768 until a late
  // script, style, font or image of a shard with no large file was left to the origin while the worker does not hold
  // the shard's part (worker/peers-help.ts, leftToOrigin): ~140 B every visitor pays so that a bouncing visitor on the
  // docs site does not pay its front page's 20 KB part whenever the worker claims the page before its late scripts.
  // 12 KB + 896 until a large file's download from peers stopped pulling, as its origin download already did, once
  // every response read more than 4 MiB behind (worker/stream.ts): ~50 B so that a crowd's paused media elements do
  // not have their pages fetch the whole file, 1.27 copies of it from the origin for five visitors who read its start.
  { name: 'sw', input: 'runtime/sw.ts', format: 'iife', budget: 12 * KB + 960, served: '`planktos-sw.js`' },
  // WebTorrent included (issue 13: 45 KB; test/webtorrent-lite.test.ts holds it there).
  { name: 'downloader', input: 'runtime/downloader.ts', format: 'es', budget: 45 * KB, served: '`downloader.js`' },
  // The debug overlay, imported by the downloader only when shown: ~700 B brotli the downloader no longer carries.
  { name: 'overlay', input: 'runtime/page/overlay.ts', format: 'es', budget: 1 * KB, served: '`overlay.js`' },
  // A kill-switch build's install.js: removes planktos instead.
  { name: 'remove', input: 'runtime/remove.ts', format: 'iife', budget: 1 * KB, served: '`install.js` of a kill-switch build' }
]
