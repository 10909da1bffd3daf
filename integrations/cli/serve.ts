// `planktos serve`: a static server for previews, tests and benchmarks that behaves like a typical static host.
// Node only. `send` (the file sender behind Express's serve-static) answers for one file: ranges, 304s, HEAD, streaming.
// What a static host decides lives here: the base prefix, `/about` -> `/about/` redirects, index.html and `.html`
// lookups, hidden dotfiles, the site's 404 page, and the few Range cases where send departs from RFC 9110.
// It serves only files whose real path is inside the folder: a symlink out of it (`pw.txt -> /etc/passwd`) is a 404.
import type { ReadStream, Stats } from 'node:fs'
import { readFile, realpath, stat } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { join, relative, resolve, sep } from 'node:path'
import send from 'send'
import { contentType } from '../builder/content-type.ts'
import { normalizeOptions } from '../options.ts'

export interface ServeOptions {
  /** The built site. */
  dir: string
  /** 0 picks a free port. */
  port?: number
  host?: string
  /** URL path the folder is served under, such as `/docs/`. */
  base?: string
  /** Called once per response, when it is done or aborted. */
  onRequest?: (entry: RequestLogEntry) => void
}

export interface RequestLogEntry {
  method: string
  /** Path and query as requested. */
  url: string
  status: number
  /** Body bytes written to the connection: 0 for HEAD and 304. */
  bytes: number
  range: string | null
}

export interface ServeHandle {
  /** The site's address, base included, such as `http://127.0.0.1:4321/docs/`. */
  url: string
  port: number
  /** Stops listening and closes every open connection. */
  close(): Promise<void>
}

/** Serves `dir` over HTTP until `close()` is called. */
export async function serve (options: ServeOptions): Promise<ServeHandle> {
  const given = resolve(options.dir)
  const base = normalizeOptions({ base: options.base ?? '/' }).base
  const host = options.host ?? '127.0.0.1'
  const port = options.port ?? 0
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`planktos serve: option "port" must be a whole number from 0 to 65535; got ${JSON.stringify(options.port)}.`)
  const info = await stat(given).catch(() => null)
  if (!info) throw new Error(`planktos serve: folder ${options.dir} does not exist; build your site first or pass the right folder.`)
  if (!info.isDirectory()) throw new Error(`planktos serve: ${options.dir} is a file, not a folder; pass the folder your site was built into.`)
  // The real path, so that a file's real path can be compared with it.
  const root = await realpath(given)

  const server = createServer((req, res) => {
    const bytes = countBody(req, res)
    const url = req.url ?? '/'
    const range = req.headers.range ?? null
    res.once('close', () => options.onRequest?.({ method: req.method ?? 'GET', url, status: res.statusCode, bytes: bytes(), range }))
    handle(req, res, root, base).catch(() => {
      if (res.headersSent) res.destroy()
      else sendText(res, 500, 'Internal server error: the file could not be read.')
    })
  })

  await new Promise<void>((done, fail) => {
    // Once listening, this settles nothing: later errors (EMFILE on accept) are transient and the server keeps going.
    server.on('error', (err: NodeJS.ErrnoException) => {
      fail(err.code === 'EADDRINUSE'
        ? new Error(`planktos serve: port ${port} on ${host} is already in use; pass another port, or 0 for any free one.`)
        : new Error(`planktos serve: cannot listen on ${host}:${port} (${err.message}); pass another host or port.`))
    })
    server.listen(port, host, done)
  })
  const actualPort = (server.address() as { port: number }).port
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}${base}`,
    port: actualPort,
    close: () => new Promise<void>(done => {
      server.close(() => done())
      server.closeAllConnections()
    })
  }
}

type Found = { kind: 'file', segments: string[] } | { kind: 'redirect', location: string } | { kind: 'missing' }

async function handle (req: IncomingMessage, res: ServerResponse, root: string, base: string): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD')
    return sendText(res, 405, 'Method not allowed: a static site answers GET and HEAD only.')
  }
  const [, pathname = '', search = ''] = /^([^?]*)(.*)$/s.exec(req.url ?? '/') ?? []
  if (pathname === base.slice(0, -1)) return redirect(res, base + search)
  if (!pathname.startsWith(base)) return sendText(res, 404, `Not found: this server only serves ${base}.`)

  const found = await find(root, pathname.slice(base.length), base, search)
  if (found.kind === 'redirect') return redirect(res, found.location)
  if (found.kind === 'missing') return sendNotFound(res, root)
  sendFile(req, res, root, found.segments)
}

/** Sends one file found below root through send, with our Content-Type, caching and Range rules. */
function sendFile (req: IncomingMessage, res: ServerResponse, root: string, segments: string[]): void {
  // send decodes its path again, so the name goes back percent-encoded; dotfiles were refused by find(), bar .well-known.
  send(req, segments.map(encodeURIComponent).join('/'), { root, dotfiles: 'allow', index: false })
    .on('file', (_path: string, stats: Stats) => {
      if (!rangeApplies(req, stats)) delete req.headers.range
      // A suffix longer than the file means all of it (RFC 9110 §14.1.2); send refuses it with 416.
      const suffix = /^bytes=\s*-\s*(\d+)\s*$/.exec(req.headers.range ?? '')
      if (suffix && Number(suffix[1]) > stats.size) req.headers.range = 'bytes=0-'
    })
    .on('headers', (_res: ServerResponse, path: string, stats: Stats) => {
      res.setHeader('Content-Type', contentType(path)) // the type the manifest records
      res.setHeader('ETag', strongEtag(stats)) // send keeps an ETag already set
      res.setHeader('Cache-Control', 'no-cache') // browsers revalidate every file, as on a fresh deploy
    })
    .on('stream', (file: ReadStream) => {
      // send measures the file, then opens it: if a rebuild changed it between the two, keep to the promised length.
      const length = Number(res.getHeader('Content-Length'))
      if (length === 0) { file.destroy(); res.end() } // send would read a byte, in case it was empty when measured
      else file.once('end', () => { if (file.bytesRead < length) res.destroy() }) // cut short, not left waiting
    })
    .on('directory', () => void sendNotFound(res, root)) // the file became a folder since find()
    .on('error', (err: { status: number, headers?: Record<string, string> }) => {
      if (res.headersSent) return void res.destroy() // a read failed mid-body: the client sees a short, failed response
      for (const name of res.getHeaderNames()) res.removeHeader(name)
      if (err.status === 404) return void sendNotFound(res, root) // the file vanished since find()
      if (err.status >= 500) return sendText(res, 500, 'Internal server error: the file could not be read.')
      res.writeHead(err.status, { ...err.headers, 'Content-Length': 0 }).end() // 412, or 416 with `Content-Range: bytes */size`
    })
    .pipe(res)
}

/** Maps a URL path below base to a file the way static hosts do: `about/` -> `about/index.html`, `about` -> redirect. */
async function find (root: string, rel: string, base: string, search: string): Promise<Found> {
  let segments: string[]
  try { segments = rel.split('/').map(decodeURIComponent) } catch { return { kind: 'missing' } }
  const dir = rel === '' || rel.endsWith('/')
  if (dir) segments.pop()
  // Empty segments would make `//host` redirects; dot segments are hidden files or escapes from the folder.
  const unsafe = segments.some(s => s === '' || /[/\\\0]/.test(s) || (s.startsWith('.') && s !== '.well-known'))
  if (unsafe) return { kind: 'missing' }

  const stats = await statInside(root, segments)
  if (stats?.isDirectory()) {
    if (!dir) return { kind: 'redirect', location: `${base}${rel}/${search}` }
    segments.push('index.html')
  } else if (dir) return { kind: 'missing' }
  else if (stats?.isFile()) return { kind: 'file', segments }
  else segments.push(segments.pop() + '.html') // `/about` for `about.html`, as GitHub Pages and Netlify do
  const file = await statInside(root, segments)
  return file?.isFile() ? { kind: 'file', segments } : { kind: 'missing' }
}

/** The file's stats if it exists and its real path (symlinks followed) is inside `root` (a real path), else null. */
async function statInside (root: string, segments: string[]): Promise<Stats | null> {
  const path = join(root, ...segments)
  const real = await realpath(path).catch(() => null)
  if (real === null) return null
  const rel = relative(root, real)
  if (rel === '..' || rel.startsWith('..' + sep) || rel.startsWith(sep)) return null
  return stat(real).catch(() => null)
}

/**
 * Whether send may act on Range. RFC 9110 requires ignoring it on HEAD (§14.2) and unless If-Range is exactly the
 * Last-Modified date (§13.1.5; a weak ETag never matches), where send honours it. It allows ignoring a range that ends
 * before it starts (§14.1.1) and ranges of an empty file, which send refuses with 416; a whole 200 serves clients better.
 */
function rangeApplies (req: IncomingMessage, stats: Stats): boolean {
  const ifRange = req.headers['if-range']
  const backwards = [...(req.headers.range ?? '').matchAll(/(\d+)\s*-\s*(\d+)/g)].some(([, first, last]) => Number(last) < Number(first))
  const current = ifRange === undefined || ifRange === stats.mtime.toUTCString() || ifRange === strongEtag(stats)
  return req.method === 'GET' && stats.size > 0 && !backwards && current
}

/**
 * A strong validator from size and modification time, as nginx makes them. send's own ETag is weak, and Chromium
 * puts the cached ETag in If-Range as it is when it completes a partly cached file: a weak one can never match
 * (RFC 9110 compares If-Range strongly), so every second range request of a web seed got the whole file.
 */
function strongEtag (stats: Stats): string {
  return `"${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`
}

/** The site's own 404.html with status 404, as static hosts do, or a line of text if it has none. */
async function sendNotFound (res: ServerResponse, root: string): Promise<void> {
  const page = await statInside(root, ['404.html']) && await readFile(join(root, '404.html')).catch(() => null)
  if (!page) return sendText(res, 404, 'Not found.')
  res.writeHead(404, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': page.byteLength, 'Cache-Control': 'no-cache' }).end(page)
}

function redirect (res: ServerResponse, location: string): void {
  res.writeHead(301, { Location: location, 'Content-Length': 0, 'Cache-Control': 'no-cache' }).end()
}

function sendText (res: ServerResponse, status: number, text: string): void {
  const headers = { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache' }
  res.writeHead(status, headers).end(text)
}

/** Counts body bytes written to `res`; Node drops the body of HEAD, 204 and 304 responses, so they count 0. */
function countBody (req: IncomingMessage, res: ServerResponse): () => number {
  let bytes = 0
  for (const method of ['write', 'end'] as const) {
    const original = res[method] as (...args: unknown[]) => unknown
    res[method] = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
      const dropped = req.method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304 || res.statusCode < 200
      // Strings here are all UTF-8 (ours); send writes Buffers.
      const body = typeof chunk === 'string' || chunk instanceof Uint8Array
      if (body && !dropped && !res.destroyed && !res.writableEnded) bytes += Buffer.byteLength(chunk)
      return original.call(this, chunk, ...rest)
    } as never
  }
  return () => bytes
}
