// The one Options type, its defaults and normalizeOptions(): the builder, the CLI and both adapters go through here.
import type { RuntimeSettings } from '../runtime/shared/manifest.ts'
import { DEFAULT_TRACKERS_PER_SHARD } from '../runtime/shared/trackers.ts'

export interface Options {
  /** URL path the site is served under; normalised to a leading and trailing `/`. */
  base?: string
  /** Public origin (absolute URL); lets the torrents carry absolute web-seed URLs. */
  site?: string
  /** WebSocket trackers. */
  announce?: string[]
  /** Trackers each shard announces to, chosen from `announce` by a stable hash of its infohash (2 or more). */
  trackersPerShard?: number
  /** RTCConfiguration handed to WebRTC (ICE servers). */
  rtcConfig?: RuntimeSettings['rtcConfig']
  /** Globs (relative to the output folder) of files shared peer-to-peer. */
  include?: string[]
  exclude?: string[]
  /** Target torrent size in bytes (strings such as `32MiB` are accepted). */
  shardSize?: number | string
  /** Milliseconds the worker waits for progress from peers before it also asks the origin. */
  peerTimeout?: number
  prefetch?: 'none' | 'pages' | 'all'
  prefetchBudget?: number | string
  maxStorage?: number | string
  update?: 'auto' | 'prompt'
  p2p?: 'auto' | 'opt-in'
  /** Query parameters that do not change which file is meant (`*` at the end matches a prefix). */
  ignoreSearchParams?: string[]
  /** Serve `/about` from `about.html`, as most static hosts do (Astro's `build.format: 'file'` turns it on). */
  cleanUrls?: boolean
  /** Build a worker that removes planktos from visitors. */
  killSwitch?: boolean
  /** Adapters only: also run during watch/serve builds. */
  dev?: boolean
  /** Add the install tag to every page. */
  inject?: boolean
  /** Show the stats overlay on every page. */
  debug?: boolean
  /** Ask the browser for persistent storage. */
  persist?: boolean
  /**
   * Security headers the origin sends, by URL path pattern (`/*`, `/blog/*`, as in a `_headers` file), such as
   * `{ '/*': { 'Content-Security-Policy': "default-src 'self'" } }`: the worker's answers carry them. See docs/security.md.
   */
  headers?: Record<string, Record<string, string>>
}

/** Options after normalizeOptions(): every key set; the runtime's share is exactly RuntimeSettings. */
export interface NormalizedOptions extends RuntimeSettings {
  base: string
  site: string | null
  include: string[]
  exclude: string[]
  shardSize: number
  cleanUrls: boolean
  killSwitch: boolean
  dev: boolean
  inject: boolean
  headers: Record<string, Record<string, string>>
}

const MiB = 1024 * 1024

/** Public WebTorrent trackers; fine for trying planktos, but a site should run its own (`planktos tracker`). */
export const PUBLIC_TRACKERS = ['wss://tracker.webtorrent.dev', 'wss://tracker.openwebtorrent.com']
export const PUBLIC_STUN = 'stun:stun.l.google.com:19302'

export const defaults: Readonly<NormalizedOptions> = Object.freeze({
  base: '/',
  site: null,
  announce: PUBLIC_TRACKERS,
  trackersPerShard: DEFAULT_TRACKERS_PER_SHARD,
  rtcConfig: { iceServers: [{ urls: PUBLIC_STUN }] },
  include: ['**'],
  // Dotfiles, and the files Netlify (_headers, _redirects) and Cloudflare Pages (_routes.json) read from the output's
  // root as configuration and never serve: as site files the worker would answer them.
  exclude: ['**/.*', '**/.*/**', '_headers', '_redirects', '_routes.json'],
  shardSize: 16 * MiB,
  peerTimeout: 2000,
  prefetch: 'none',
  prefetchBudget: 50 * MiB,
  maxStorage: 500 * MiB,
  update: 'auto',
  p2p: 'auto',
  ignoreSearchParams: ['utm_*', 'fbclid', 'gclid'],
  cleanUrls: false,
  killSwitch: false,
  dev: false,
  inject: true,
  debug: false,
  persist: false,
  headers: {}
})

export class OptionError extends Error {
  override name = 'OptionError'
  /** The option at fault, as the caller named it. */
  option: string
  constructor (option: string, message: string) {
    super(message)
    this.option = option
  }
}

export interface NormalizeContext {
  /** Adapters take `base` from their host, and alone accept `dev`. */
  adapter?: 'astro' | 'eleventy'
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1e3, kb: 1e3, kib: 1024, m: 1e6, mb: 1e6, mib: MiB, g: 1e9, gb: 1e9, gib: 1024 * MiB }

/** Parses `32MiB`, `1.5 GB`, `4096` or a number into a whole number of bytes; undefined when it is not a size. */
export function parseBytes (value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined
  if (typeof value !== 'string') return undefined
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value)
  if (!m) return undefined
  const unit = UNITS[m[2]!.toLowerCase()]
  if (unit === undefined) return undefined
  const bytes = Math.round(Number(m[1]) * unit)
  return Number.isSafeInteger(bytes) ? bytes : undefined
}

/** Copies `input` over the defaults, rejecting unknown keys and bad values with an error that names the option. */
export function normalizeOptions (input: Options = {}, context: NormalizeContext = {}): NormalizedOptions {
  const where = context.adapter ? `planktos-web/${context.adapter}` : 'planktos'
  const fail = (option: string, message: string): never => {
    throw new OptionError(option, `${where}: option "${option}" ${message}`)
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new OptionError('options', `${where}: options must be an object, such as { announce: ['wss://tracker.example.com'] }.`)
  }
  const out: NormalizedOptions = structuredClone({ ...defaults }) as NormalizedOptions
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue
    if (!(key in defaults)) {
      const known = Object.keys(defaults).filter(k => context.adapter ? k !== 'base' : k !== 'dev').join(', ')
      fail(key, `is not a planktos option; the options are ${known}.`)
    }
    switch (key) {
      case 'base':
        if (context.adapter) fail('base', `comes from the ${context.adapter === 'astro' ? 'Astro `base`' : 'Eleventy `pathPrefix`'} setting; remove it from the planktos options.`)
        out.base = normalizeBase(value, fail)
        break
      case 'site': out.site = normalizeSite(value, fail); break
      case 'announce':
        out.announce = stringArray(key, value, fail)
        for (const url of out.announce) {
          if (!/^wss?:\/\/[^/]/i.test(url)) fail(key, `must list WebSocket tracker URLs (wss://… or ws://…); "${url}" is not one.`)
        }
        break
      case 'trackersPerShard':
        // One tracker per shard would make that tracker's downtime the swarm's.
        if (!Number.isInteger(value) || (value as number) < 2) fail(key, `must be a whole number, 2 or more; got ${JSON.stringify(value)}.`)
        out.trackersPerShard = value as number
        break
      case 'rtcConfig':
        if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(key, 'must be an RTCConfiguration object, such as { "iceServers": [{ "urls": "stun:stun.example.com:3478" }] }.')
        if ('iceServers' in (value as object) && !Array.isArray((value as { iceServers: unknown }).iceServers)) fail(key, 'must have an "iceServers" array.')
        out.rtcConfig = structuredClone(value as NormalizedOptions['rtcConfig'])
        break
      case 'include': case 'exclude':
        out[key] = stringArray(key, value, fail)
        break
      case 'shardSize': case 'prefetchBudget': case 'maxStorage': {
        const bytes = parseBytes(value)
        if (bytes === undefined) fail(key, `must be a size in bytes, such as 16777216 or "16MiB"; got ${JSON.stringify(value)}.`)
        if (key === 'shardSize' && bytes! < 64 * 1024) fail(key, `must be at least 64KiB; got ${bytes} bytes.`)
        out[key] = bytes!
        break
      }
      case 'peerTimeout':
        if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail(key, `must be a number of milliseconds (0 or more); got ${JSON.stringify(value)}.`)
        out.peerTimeout = Math.round(value as number)
        break
      case 'prefetch': out.prefetch = oneOf(key, value, ['none', 'pages', 'all'] as const, fail); break
      case 'update': out.update = oneOf(key, value, ['auto', 'prompt'] as const, fail); break
      case 'p2p': out.p2p = oneOf(key, value, ['auto', 'opt-in'] as const, fail); break
      case 'ignoreSearchParams': out.ignoreSearchParams = stringArray(key, value, fail); break
      case 'headers': out.headers = headerRules(value, fail); break
      case 'cleanUrls': case 'killSwitch': case 'dev': case 'inject': case 'debug': case 'persist':
        if (key === 'dev' && !context.adapter) fail(key, 'only applies to the Astro and Eleventy adapters; remove it.')
        if (typeof value !== 'boolean') fail(key, `must be true or false; got ${JSON.stringify(value)}.`)
        out[key] = value as boolean
        break
    }
  }
  return out
}

type Fail = (option: string, message: string) => never

function normalizeBase (value: unknown, fail: Fail): string {
  if (typeof value !== 'string') return fail('base', `must be a URL path such as "/docs/"; got ${JSON.stringify(value)}.`)
  if (/[?#\\]|^[a-z][a-z0-9+.-]*:/i.test(value) || value.split('/').some(s => s === '.' || s === '..')) {
    fail('base', `must be a plain URL path such as "/docs/"; got ${JSON.stringify(value)}.`)
  }
  const segments = value.split('/').filter(Boolean)
  return segments.length ? `/${segments.join('/')}/` : '/'
}

function normalizeSite (value: unknown, fail: Fail): string {
  let url: URL | undefined
  try { url = new URL(String(value)) } catch {}
  if (typeof value !== 'string' || !url || !/^https?:$/.test(url.protocol)) {
    return fail('site', `must be an absolute http(s) URL such as "https://example.com"; got ${JSON.stringify(value)}.`)
  }
  return url.origin
}

function stringArray (key: string, value: unknown, fail: Fail): string[] {
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || !list.every(v => typeof v === 'string' && v.length > 0)) {
    return fail(key, `must be a list of non-empty strings; got ${JSON.stringify(value)}.`)
  }
  return [...list]
}

function headerRules (value: unknown, fail: Fail): Record<string, Record<string, string>> {
  const example = `such as { '/*': { 'X-Frame-Options': 'DENY' } }`
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)
  if (!isObject(value)) return fail('headers', `must map URL path patterns to headers, ${example}; got ${JSON.stringify(value)}.`)
  const out: Record<string, Record<string, string>> = {}
  for (const [pattern, headers] of Object.entries(value)) {
    if (!pattern.startsWith('/')) fail('headers', `has the pattern ${JSON.stringify(pattern)}; patterns are URL paths starting with "/", ${example}.`)
    if (!isObject(headers) || !Object.entries(headers).every(([k, v]) => /^[!#$%&'*+.^\w`|~-]+$/.test(k) && typeof v === 'string' && !/[\r\n\0]/.test(v))) {
      fail('headers', `maps ${JSON.stringify(pattern)} to something other than header names and one-line string values, ${example}.`)
    }
    out[pattern] = { ...headers as Record<string, string> }
  }
  return out
}

function oneOf<T extends string> (key: string, value: unknown, allowed: readonly T[], fail: Fail): T {
  if (!allowed.includes(value as T)) fail(key, `must be one of ${allowed.map(a => `"${a}"`).join(', ')}; got ${JSON.stringify(value)}.`)
  return value as T
}

/** The part of the options the runtime reads, as written into the manifest. */
export function runtimeSettings (options: NormalizedOptions): RuntimeSettings {
  const { announce, trackersPerShard, rtcConfig, peerTimeout, prefetch, prefetchBudget, maxStorage, update, p2p, ignoreSearchParams, debug, persist } = options
  return { announce, trackersPerShard, rtcConfig, peerTimeout, prefetch, prefetchBudget, maxStorage, update, p2p, ignoreSearchParams, debug, persist }
}
