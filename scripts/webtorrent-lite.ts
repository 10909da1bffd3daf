// Rollup plugins that build the downloader's WebTorrent from WebTorrent's own sources instead of its prebuilt
// browser bundle (webtorrent.min.js, 56 KB brotli), leaving out what planktos never reaches: the modules in
// runtime/webtorrent-stubs/ (each says why it is safe), a second copy of streamx, and package.json read for
// the version. The runtime still imports 'webtorrent/dist/webtorrent.min.js', whose types it declares; the
// same version's sources take its place here.
import { existsSync, readFileSync, realpathSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'
import commonjsPlugin from '@rollup/plugin-commonjs'
import { nodeResolve } from '@rollup/plugin-node-resolve'
import terserPlugin from '@rollup/plugin-terser'
import { rollup, type Plugin } from 'rollup'
import esbuild from 'rollup-plugin-esbuild'

// These plugins' types describe CommonJS modules, so for tsc their default import is the module and the plugin its
// `.default`; Node loads their ES builds, whose default import is the plugin itself.
const commonjs = commonjsPlugin as unknown as typeof commonjsPlugin.default
const terser = terserPlugin as unknown as typeof terserPlugin.default

const PREBUILT = 'webtorrent/dist/webtorrent.min.js'
const VERSION = '\0webtorrent-version'
/** @rollup/plugin-node-resolve's id for a module a browser field maps to false. */
const EMPTY = '\0node-resolve:empty.js'

/** Module specifier (as the importing source writes it) -> its stub in runtime/webtorrent-stubs/. */
const STUBS: Record<string, string> = {
  debug: 'debug.js',
  'mime/lite.js': 'mime.js',
  'create-torrent': 'create-torrent.js',
  'speed-limiter': 'speed-limiter.js',
  ut_metadata: 'ut_metadata.js',
  'magnet-uri': 'magnet-uri.js',
  'text-decoder': 'text-decoder.cjs',
  // lib/torrent.js imports 'fs-chunk-store', which WebTorrent's browser field maps to 'fsa-chunk-store'.
  'fs-chunk-store': 'fsa-chunk-store.js',
  'fsa-chunk-store': 'fsa-chunk-store.js',
  path: 'path.js',
  'memory-chunk-store': 'memory-chunk-store.js',
  'chunk-store-iterator': 'chunk-store-iterator.js',
  'join-async-iterator': 'join-async-iterator.cjs',
  'cache-chunk-store': 'cache-chunk-store.js',
  // Its remote() only: the stub imports the rest from the module itself.
  'parse-torrent': 'parse-torrent.js'
}

/** WebTorrent's own files replaced, by the specifier lib/ and index.js import them with. */
const OWN_STUBS: Record<string, string> = {
  './lib/server.js': 'server.js',
  './file-iterator.js': 'file-iterator.js',
  './rarity-map.js': 'rarity-map.js'
}

/**
 * Methods of WebTorrent and its dependencies the downloader never calls, by file under node_modules and head as the
 * source writes it: each is replaced by one that throws (or has the body given). A head ending in `=>` is a top-level
 * arrow function (its end is the next line `}`), any other a class method (its end is the next line `  }`). The build
 * fails when a head or its end is not found, as after an upgrade that changed it.
 * - Client#seed: the downloader only adds the origin's .torrent files (and creating torrents is stubbed, above).
 * - Client#createServer, File#streamURL and File#streamTo: the servers are stubbed (lib/server.js above).
 * - Client#throttleDownload and #throttleUpload: the throttles are pass-through (speed-limiter above).
 * - Torrent#load: only seed() calls it. Torrent#_getMetadataFromServer: only for a torrent without its info
 *   dictionary but with an `xs` URL; the downloader's torrents always hold their info. Torrent#getFileModtimes: only
 *   for the default file-system store, never used (fs-chunk-store above).
 * - File#createReadStream, #arrayBuffer, #blob and #stream: they read through File#[Symbol.asyncIterator], whose
 *   iterator is stubbed (file-iterator.js above): they could only fail. (Torrent#critical stays: runtime/page/answer.ts calls it.)
 * - Torrent#_drain connects to the queued TCP and uTP peers: it returns at once where `net.connect` is no function, as
 *   in the browser build (`net` is empty), so it becomes an empty method. Torrent#_validAddr and #_isIPv4 read
 *   "ip:port" peers (from DHT, LSD, PEX, HTTP and UDP trackers, magnet links, none of them bundled; WebSocket trackers
 *   give WebRTC peers) and #_addIncomingPeer takes TCP peers (lib/conn-pool.js, not bundled). #rescanFiles: nothing
 *   calls it.
 * - bittorrent-tracker's Client#scrape, Client.scrape and WebSocketTracker#scrape: torrent-discovery only announces
 *   (a scrape response a tracker sends anyway is still read: _onScrapeResponse stays). torrent-discovery's
 *   #_dhtAnnounce and #_createLSD: only for a DHT or LSD, null where those modules are empty, as here.
 * - streamx's Readable.from (with _fromAsyncIterator), .deferred, .isPaused, Writable.drained and a Readable's
 *   [Symbol.asyncIterator] (for await): nothing in the downloader calls them or iterates a stream (File and
 *   lib/server.js, which did, are trimmed or stubbed); the rest of what it exports and nobody imports is dropped from
 *   its exports (EDITS).
 */
const TRIMS: Record<string, Array<string | [head: string, body: string]>> = {
  'webtorrent/index.js': ['seed (input, opts, onseed)', 'createServer (options, force)', 'throttleDownload (rate)', 'throttleUpload (rate)'],
  'webtorrent/lib/torrent.js': [
    '_getMetadataFromServer ()', 'getFileModtimes (cb)', 'async load (streams, cb)', ['_drain ()', '{}'],
    '_validAddr (addr)', '_isIPv4 (addr)', '_addIncomingPeer (peer)', 'rescanFiles (cb)'
  ],
  'webtorrent/lib/file.js': ['createReadStream (opts)', 'async arrayBuffer (opts = {})', 'async blob (opts)', 'stream (opts)', 'get streamURL ()', 'streamTo (elem)'],
  'bittorrent-tracker/client.js': ['scrape (opts)', 'Client.scrape = (opts, cb) =>'],
  'bittorrent-tracker/lib/client/websocket-tracker.js': ['scrape (opts)'],
  'torrent-discovery/index.js': ['_dhtAnnounce ()', '_createLSD ()'],
  'streamx/index.js': ['static deferred(fn, opts)', 'static from(data, opts)', 'static _fromAsyncIterator(ite, opts)', 'static isPaused(rs)', '[asyncIterator]()', 'static drained(ws)']
}

/**
 * Exact texts replaced in a file under node_modules, after TRIMS; the build fails when one is not found. streamx's
 * exports that nothing in the downloader imports (WebTorrent, bittorrent-protocol, simple-peer and simple-websocket
 * import Readable, Duplex, Transform and pipeline), so that terser drops them. The EventEmitter's methods nothing in
 * the downloader calls (its callers use on, once, off, emit, prependListener, removeListener, removeAllListeners,
 * setMaxListeners and listenerCount): listeners, rawListeners, eventNames, prependOnceListener, getMaxListeners and
 * the static once and listenerCount. test/webtorrent-lite.test.ts checks that the bundle calls none of them.
 */
const EDITS: Record<string, Array<[from: string, to: string]>> = {
  'events/events.js': [
    ['module.exports.once = once;\n', ''],
    ['EventEmitter.prototype.getMaxListeners = function getMaxListeners() {\n  return _getMaxListeners(this);\n};\n', ''],
    ['EventEmitter.prototype.prependOnceListener =\n    function prependOnceListener(type, listener) {\n      checkListener(listener);\n      this.prependListener(type, _onceWrap(this, type, listener));\n      return this;\n    };\n', ''],
    ['EventEmitter.prototype.listeners = function listeners(type) {\n  return _listeners(this, type, true);\n};\n\nEventEmitter.prototype.rawListeners = function rawListeners(type) {\n  return _listeners(this, type, false);\n};\n', ''],
    ['EventEmitter.listenerCount = function(emitter, type) {\n  if (typeof emitter.listenerCount === \'function\') {\n    return emitter.listenerCount(type);\n  } else {\n    return listenerCount.call(emitter, type);\n  }\n};\n', ''],
    ['EventEmitter.prototype.eventNames = function eventNames() {\n  return this._eventsCount > 0 ? ReflectOwnKeys(this._events) : [];\n};\n', '']
  ],
  'streamx/index.js': [[
    '  pipeline,\n  pipelinePromise,\n  isStream,\n  isStreamx,\n  isEnding,\n  isEnded,\n  isFinishing,\n  isFinished,\n  isDisturbed,\n  getStreamError,\n',
    '  pipeline,\n  isStream,\n  isStreamx,\n'
  ], [
    "  Transform,\n  // Export PassThrough for compatibility with Node.js core's stream module\n  PassThrough\n}",
    '  Transform\n}'
  ]]
}

/** `code` with each method `trims` names replaced by one that throws, or has the body given. */
function trim (code: string, file: string, trims: Array<string | [head: string, body: string]>): string {
  for (const entry of trims) {
    const [head, body] = typeof entry === 'string' ? [entry, "{ throw new Error('planktos: not bundled') }"] : entry
    const indent = head.endsWith('=>') ? '' : '  '
    const start = code.indexOf(`\n${indent}${head} {\n`)
    const end = start < 0 ? -1 : code.indexOf(`\n${indent}}\n`, start)
    if (end < 0) throw new Error(`webtorrent-lite: ${file} has no method "${head}" any more; update TRIMS in scripts/webtorrent-lite.ts`)
    code = `${code.slice(0, start)}\n${indent}${head} ${body}${code.slice(end + indent.length + 2)}`
  }
  return code
}

/** `code` with each text `edits` names replaced. */
function edit (code: string, file: string, edits: Array<[from: string, to: string]>): string {
  for (const [from, to] of edits) {
    if (!code.includes(from)) throw new Error(`webtorrent-lite: ${file} no longer holds ${JSON.stringify(from)}; update EDITS in scripts/webtorrent-lite.ts`)
    code = code.replace(from, to)
  }
  return code
}

interface Browser { root: string, map: Record<string, string | false> }
const browserFields = new Map<string, Browser | null>()

/** The `browser` field (as an object) of the package holding `dir`, with that package's folder. */
function browserField (dir: string): Browser | null {
  let cached = browserFields.get(dir)
  if (cached !== undefined) return cached
  const file = join(dir, 'package.json')
  if (existsSync(file)) {
    const { browser } = JSON.parse(readFileSync(file, 'utf8')) as { browser?: unknown }
    cached = browser && typeof browser === 'object' ? { root: dir, map: browser as Browser['map'] } : null
  } else cached = dirname(dir) === dir ? null : browserField(dirname(dir))
  browserFields.set(dir, cached)
  return cached
}

/**
 * What the importer's package's browser field says `source` is: false (nothing), another specifier, or undefined.
 * node-resolve applies these only to files it reached through a package's main, not to those a relative import
 * or an `exports` map led to (bittorrent-tracker's client.js would bring its Node server, UDP and HTTP trackers).
 */
function browserMapping (source: string, importer: string): string | false | undefined {
  const field = browserField(dirname(importer))
  if (!field) return undefined
  if (Object.hasOwn(field.map, source)) return field.map[source]
  if (!source.startsWith('.')) return undefined
  const own = `./${relative(field.root, resolve(dirname(importer), source))}`
  for (const [key, value] of Object.entries(field.map)) {
    if (key.startsWith('.') && `./${relative(field.root, resolve(field.root, key))}` === own) return value
  }
  return undefined
}

/** Resolves WebTorrent's modules to its sources, the stubs and the browser's `events`. */
function webtorrentLite (root: string): Plugin[] {
  const require = createRequire(join(root, 'package.json'))
  // Its real path: rollup names modules by real path, and node_modules may be a link (a packed clean copy's is).
  const pkg = realpathSync(join(root, 'node_modules', 'webtorrent'))
  // What TRIMS names files by: WebTorrent's folder holds its dependencies (node_modules, maybe a packed copy's link).
  const modules = dirname(pkg)
  const version = (JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { version: string }).version
  const stubs = join(root, 'runtime', 'webtorrent-stubs')
  const edited = new Set<string>()
  const lite: Plugin = {
    name: 'webtorrent-lite',
    async resolveId (source, importer) {
      // Through node-resolve, which then applies WebTorrent's browser field to what index.js imports.
      if (source === PREBUILT) return await this.resolve('webtorrent', importer, { skipSelf: true })
      if (Object.hasOwn(STUBS, source) && !importer?.startsWith(stubs)) return join(stubs, STUBS[source]!)
      // The browser's own polyfill of Node's EventEmitter (the package `events`), not the Node builtin.
      if (source === 'events') return require.resolve('events/')
      if (importer?.startsWith(pkg) && source.endsWith('/version.cjs')) return VERSION
      if (importer?.startsWith(pkg) && Object.hasOwn(OWN_STUBS, source)) return join(stubs, OWN_STUBS[source]!)
      if (!importer?.includes('node_modules')) return null
      const mapped = browserMapping(source, importer)
      if (mapped === false) return EMPTY
      if (mapped && !source.startsWith('.')) return await this.resolve(mapped, importer, { skipSelf: true })
      return null
    },
    transform (code, id) {
      const file = relative(modules, id)
      if (!Object.hasOwn(TRIMS, file) && !Object.hasOwn(EDITS, file)) return null
      edited.add(file)
      return { code: edit(trim(code, file, TRIMS[file] ?? []), file, EDITS[file] ?? []), map: null }
    },
    buildEnd (err) {
      // A file that moved (or a second copy taking its place) would keep all it holds without a word.
      const missed = [...Object.keys(TRIMS), ...Object.keys(EDITS)].filter(f => !edited.has(f))
      if (!err && missed.length) this.error(`webtorrent-lite: never bundled ${missed.join(', ')}; update TRIMS and EDITS`)
    },
    load (id) {
      if (id === VERSION) return `export default ${JSON.stringify(version)}`
      // What browser fields map to false (DHT, LSD, PEX, uTP, NAT, TCP, Node's fs/os/net): an empty object, as in
      // WebTorrent's own build, whose named imports are undefined; the code using them checks or never runs.
      if (id === EMPTY) return { code: 'export default {}', syntheticNamedExports: true }
      return null
    }
  }
  return [lite, commonjs({ extensions: ['.js', '.cjs'], include: [/node_modules/, /webtorrent-stubs/] })]
}

/**
 * The downloader's rollup plugins. terser's second pass takes ~2.5 KB brotli more out of WebTorrent than esbuild's
 * minifier. WebTorrent, bittorrent-protocol and simple-peer call their own `_debug(...)` method ~150 times, which
 * only formats a line for `debug`, stubbed out (runtime/webtorrent-stubs/debug.js): terser drops those calls and
 * keeps their arguments' side effects.
 */
export function downloaderPlugins (root: string): Plugin[] {
  return [
    ...webtorrentLite(root),
    // WebTorrent's dependencies hold two versions of streamx (2.28.0 and 2.28.1), alike in all the downloader uses.
    nodeResolve({ browser: true, preferBuiltins: false, dedupe: ['streamx'] }),
    esbuild({ target: 'es2022' }),
    // WebTorrent's modules, for the Node globals its own (webpack) build defined: the browser build is the
    // `process.browser` branch, and `global` is the page's globalThis.
    esbuild({
      include: /node_modules|webtorrent-stubs/,
      exclude: [],
      loaders: { '.cjs': 'js' },
      tsconfig: false,
      target: 'es2022',
      define: { 'process.browser': 'true', global: 'globalThis' }
    }),
    terser({ module: true, ecma: 2020, compress: { passes: 3, pure_funcs: ['this._debug', 'self._debug'] }, format: { comments: false } })
  ]
}

/** WebTorrent alone, built as it is inside downloader.js: its share of the downloader, for the bench. */
export async function webtorrentAlone (root: string): Promise<string> {
  const entry = '\0webtorrent-alone'
  const build = await rollup({
    input: entry,
    plugins: [{ name: 'entry', resolveId: id => id === entry ? id : null, load: id => id === entry ? `export { default } from '${PREBUILT}'` : null }, ...downloaderPlugins(root)],
    onwarn (warning, warn) {
      if (warning.code !== 'CIRCULAR_DEPENDENCY') warn(warning)
    }
  })
  try {
    return (await build.generate({ format: 'es' })).output[0].code
  } finally {
    await build.close()
  }
}
