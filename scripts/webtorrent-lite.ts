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
  const version = (JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { version: string }).version
  const stubs = join(root, 'runtime', 'webtorrent-stubs')
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
