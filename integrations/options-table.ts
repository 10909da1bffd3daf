// The options table: the one list of planktos' options from which the CLI's flags, its help text and the table in
// docs/options.md are made (test/docs.test.ts checks the doc against it). The Options type and normalizeOptions()
// in options.ts hold the types and the checks; test/options.test.ts checks the table names exactly their keys.
// To add an option: a row here, a key in Options and defaults, a case in normalizeOptions(), then `npm run docs`.
import type { NormalizedOptions } from './options.ts'

export interface OptionRow {
  option: keyof NormalizedOptions
  /** The type as the docs name it. */
  type: string
  /** The `planktos build` flag, or null for an option the CLI does not take. */
  flag: string | null
  /** The docs' "CLI flag" cell: the flag with its notes (repeatable, examples). */
  flagNote: string
  /** The flag may be given more than once, its values collected in order. */
  repeatable?: boolean
  /** The flag's value placeholder in the help text; null for a boolean flag. */
  arg: string | null
  /** The default as the docs say it. */
  default: string
  /** The help text's line for the flag. */
  help: string | null
  /** The docs' "meaning" cell. */
  doc: string
}

export const OPTION_TABLE: readonly OptionRow[] = [
  {
    option: 'base',
    type: 'string',
    flag: '--base',
    flagNote: '`--base`',
    arg: '<path>',
    default: '`/`',
    help: 'URL path the site is served under (default /)',
    doc: 'URL path the site is served under; normalised to a leading and trailing `/`. Adapters take it from the host (Astro `base`, Eleventy `pathPrefix`) and refuse it as an option.'
  },
  {
    option: 'site',
    type: 'absolute URL',
    flag: '--site',
    flagNote: '`--site`',
    arg: '<url>',
    default: 'none',
    help: 'public origin, e.g. https://example.com (adds web-seed URLs to torrents)',
    doc: 'Public origin. With it, torrents carry a BEP19 web-seed URL so other BitTorrent clients can download from the origin.'
  },
  {
    option: 'announce',
    type: 'string[]',
    flag: '--announce',
    flagNote: '`--announce` (repeatable)',
    repeatable: true,
    arg: '<wss-url>',
    default: '`wss://tracker.webtorrent.dev`, `wss://tracker.openwebtorrent.com`',
    help: 'tracker; repeat for several (default: public WebTorrent trackers)',
    doc: 'WebSocket trackers. The public ones are fine for trying planktos; run your own (`planktos tracker`) for a real site.'
  },
  {
    option: 'trackersPerShard',
    type: 'number',
    flag: '--trackers-per-shard',
    flagNote: '`--trackers-per-shard <k>`',
    arg: '<k>',
    default: '2',
    help: 'trackers each shard announces to, picked from --announce (default 2)',
    doc: 'How many of the `announce` trackers each shard announces to, picked by a stable hash of its infohash (2 or more; all of them when fewer are listed). n trackers then carry k/n of the announces each: see [the tracker in production](tracker.md).'
  },
  {
    option: 'rtcConfig',
    type: 'RTCConfiguration',
    flag: '--rtc-config',
    flagNote: '`--rtc-config <json>`',
    arg: '<json>',
    default: '`{"iceServers":[{"urls":"stun:stun.l.google.com:19302"}]}`',
    help: 'RTCConfiguration, e.g. \'{"iceServers":[]}\'',
    doc: 'ICE servers for WebRTC.'
  },
  {
    option: 'include',
    type: 'glob[]',
    flag: '--include',
    flagNote: '`--include` (repeatable)',
    repeatable: true,
    arg: '<glob>',
    default: '`**`',
    help: 'files shared peer-to-peer (repeatable; default **)',
    doc: 'Files (relative to the output folder) shared peer-to-peer.'
  },
  {
    option: 'exclude',
    type: 'glob[]',
    flag: '--exclude',
    flagNote: '`--exclude` (repeatable)',
    repeatable: true,
    arg: '<glob>',
    default: '`**/.*`, `**/.*/**` (dotfiles), `_headers`, `_redirects`, `_routes.json` (host configuration)',
    help: 'files kept off peer-to-peer (repeatable; default dotfiles, _headers, _redirects, _routes.json)',
    doc: 'Files kept off peer-to-peer; they are served by the origin as before.'
  },
  {
    option: 'shardSize',
    type: 'bytes',
    flag: '--shard-size',
    flagNote: '`--shard-size` (`32MiB`, `1.5GB`, `65536`)',
    arg: '<size>',
    default: '16 MiB',
    help: 'target torrent size, e.g. 16MiB',
    doc: 'Target torrent size (at least 64 KiB).'
  },
  {
    option: 'peerTimeout',
    type: 'ms',
    flag: '--peer-timeout',
    flagNote: '`--peer-timeout`',
    arg: '<ms>',
    default: '2000',
    help: 'how long the worker waits for peers before also asking the origin',
    doc: 'How long the worker waits for progress from peers before it also asks the origin.'
  },
  {
    option: 'prefetch',
    type: '`\'none\'`, `\'pages\'`, `\'all\'`',
    flag: '--prefetch',
    flagNote: '`--prefetch`',
    arg: '<mode>',
    default: '`\'none\'`',
    help: 'none | pages | all: download more of the site once a page is idle',
    doc: 'Background download of more of the site once a page is idle.'
  },
  {
    option: 'prefetchBudget',
    type: 'bytes',
    flag: '--prefetch-budget',
    flagNote: '`--prefetch-budget`',
    arg: '<size>',
    default: '50 MiB',
    help: 'how much prefetch may download',
    doc: 'How much prefetch may download.'
  },
  {
    option: 'maxStorage',
    type: 'bytes',
    flag: '--max-storage',
    flagNote: '`--max-storage`',
    arg: '<size>',
    default: '500 MiB',
    help: 'storage budget per visitor',
    doc: 'Visitor storage budget; least recently used files are evicted beyond it.'
  },
  {
    option: 'update',
    type: '`\'auto\'`, `\'prompt\'`',
    flag: '--update',
    flagNote: '`--update`',
    arg: '<mode>',
    default: '`\'auto\'`',
    help: 'auto | prompt: how a new deploy takes over',
    doc: 'How a new deploy takes over.'
  },
  {
    option: 'p2p',
    type: '`\'auto\'`, `\'opt-in\'`',
    flag: '--p2p',
    flagNote: '`--p2p`',
    arg: '<mode>',
    default: '`\'auto\'`',
    help: 'auto | opt-in: opt-in waits for planktos.enableP2P()',
    doc: 'With `opt-in`, no tracker or peer connection before `planktos.enableP2P()`.'
  },
  {
    option: 'ignoreSearchParams',
    type: 'string[]',
    flag: '--ignore-param',
    flagNote: '`--ignore-param` (repeatable)',
    repeatable: true,
    arg: '<name>',
    default: '`utm_*`, `fbclid`, `gclid`',
    help: 'query parameter that does not change the file (repeatable; utm_* style prefixes)',
    doc: 'Query parameters that do not change which file is meant (`*` at the end matches a prefix).'
  },
  {
    option: 'cleanUrls',
    type: 'boolean',
    flag: '--clean-urls',
    flagNote: '`--clean-urls`',
    arg: null,
    default: 'false',
    help: 'serve /about from about.html when there is no file "about"',
    doc: 'Serve `/about` from `about.html` when the site has no file `about`, as GitHub Pages and Netlify do. The Astro adapter turns it on for `build.format: \'file\'` and `\'preserve\'`.'
  },
  {
    option: 'killSwitch',
    type: 'boolean',
    flag: '--kill-switch',
    flagNote: '`--kill-switch`',
    arg: null,
    default: 'false',
    help: 'build a worker that removes planktos from visitors',
    doc: 'Build a worker that removes planktos from visitors.'
  },
  {
    option: 'inject',
    type: 'boolean',
    flag: '--no-inject',
    flagNote: '`--no-inject`',
    arg: null,
    default: 'true',
    help: 'do not add the install tag to pages (register it yourself)',
    doc: 'Add the install tag to every page; false if the site adds it itself.'
  },
  {
    option: 'debug',
    type: 'boolean',
    flag: '--debug',
    flagNote: '`--debug`',
    arg: null,
    default: 'false',
    help: 'show the stats overlay on every page',
    doc: 'Show the stats overlay on every page.'
  },
  {
    option: 'persist',
    type: 'boolean',
    flag: '--persist',
    flagNote: '`--persist`',
    arg: null,
    default: 'false',
    help: 'ask browsers for persistent storage',
    doc: 'Ask the browser for persistent storage.'
  },
  {
    option: 'dev',
    type: 'boolean',
    flag: null,
    flagNote: '(adapters only)',
    arg: null,
    default: 'false',
    help: null,
    doc: 'Also pack during `eleventy --serve`/watch builds (otherwise they get the dev kill switch).'
  },
  {
    option: 'headers',
    type: 'object',
    flag: null,
    flagNote: '(not a flag: use a `_headers` file)',
    arg: null,
    default: '`{}`',
    help: null,
    doc: 'Security headers by URL path pattern (`/*`, `/blog/*`), as in a `_headers` file, repeated on the worker\'s answers from the store and peers: see [security](security.md).'
  }
]

/** The help text's option lines, aligned. */
export function helpLines (): string {
  return OPTION_TABLE.filter(row => row.flag)
    .map(row => `  ${`${row.flag}${row.arg ? ` ${row.arg}` : ''}`.padEnd(25)}${row.help}`)
    .join('\n')
}

/** The Markdown table in docs/options.md. */
export function docsTable (): string {
  return ['| option | type | CLI flag | default | meaning |', '|---|---|---|---|---|',
    ...OPTION_TABLE.map(row => `| \`${row.option}\` | ${row.type} | ${row.flagNote} | ${row.default} | ${row.doc} |`)].join('\n')
}
