// A static host as a site owner's bill sees it: `planktos serve` (ranges, ETags, 304s, `Cache-Control: no-cache` as
// on a fresh deploy) behind a front that compresses like nginx with `gzip on` (level 6, the common setting) and
// ngx_brotli (quality 6, its default) for the types a real config lists, and counts every byte it writes to the
// browser: status line, headers and body, 304s and range responses included ($bytes_sent in nginx's log).
// Like nginx, it compresses neither range responses (206) nor types that are compressed already (images, media,
// fonts in woff2, torrents).
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { constants, createBrotliCompress, createGzip } from 'node:zlib'
import { serve } from '../integrations/cli/serve.ts'

export interface HostLogEntry {
  method: string
  url: string
  status: number
  /** Everything written for this response: status line, headers, body as sent (compressed or not). */
  wireBytes: number
  /** The body as sent. */
  bodyBytes: number
  encoding: 'br' | 'gzip' | null
  /** The front it came through, when not the main one (`front()`): whose browser asked. */
  tag?: string
}

export interface Host {
  url: string
  log: HostLogEntry[]
  /**
   * The same host on a port of its own, whose log entries carry `tag`: a visitor given its own front is charged with
   * exactly its own requests, also those its tabs make while others visit (a time window cannot tell them apart).
   */
  front (tag: string): Promise<string>
  close (): Promise<void>
}

/** The types nginx configs commonly list in `gzip_types` / `brotli_types` (text/html is always on). */
const COMPRESSIBLE = /^(text\/|application\/(javascript|json|manifest\+json|xml|wasm)|image\/svg\+xml|font\/(ttf|otf))/

/**
 * Serves `dir` through the compressing, counting front until `close()`. URL paths matching `immutable` get
 * `Cache-Control: public, max-age=31536000, immutable`, as real hosts send for hashed assets (and, per
 * docs/deploying.md, for planktos' torrents and parts); everything else keeps `planktos serve`'s `no-cache`.
 */
export async function startHost (dir: string, immutable?: RegExp): Promise<Host> {
  const inner = await serve({ dir, port: 0 })
  const log: HostLogEntry[] = []
  const sockets = new Set<Socket>()
  const servers: Server[] = []
  const listen = async (tag?: string): Promise<string> => {
    const server = createServer((req, res) => {
      const headers = { ...req.headers }
      delete headers['accept-encoding']
      // nginx makes the ETag of a compressed response weak; a revalidation sends it back as it got it.
      if (typeof headers['if-none-match'] === 'string') headers['if-none-match'] = headers['if-none-match'].replace(/W\//g, '')
      const upstream = request({ host: '127.0.0.1', port: inner.port, method: req.method, path: req.url, headers }, up => answer(req, res, up, entry => log.push(tag === undefined ? entry : { ...entry, tag }), immutable))
      upstream.on('error', () => { if (!res.headersSent) res.writeHead(502).end(); else res.destroy() })
      req.pipe(upstream)
    })
    server.on('connection', s => { sockets.add(s); s.once('close', () => sockets.delete(s)) })
    servers.push(server)
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    return `http://127.0.0.1:${(server.address() as { port: number }).port}/`
  }
  return {
    url: await listen(),
    log,
    front: listen,
    close: async () => {
      for (const s of sockets) s.destroy()
      await Promise.all(servers.map(server => new Promise<void>(resolve => server.close(() => resolve()))))
      await inner.close()
    }
  }
}

function answer (req: IncomingMessage, res: ServerResponse, up: IncomingMessage, record: (entry: HostLogEntry) => void, immutable?: RegExp): void {
  const accept = String(req.headers['accept-encoding'] ?? '')
  const type = String(up.headers['content-type'] ?? '')
  const compress = req.method === 'GET' && up.statusCode === 200 && COMPRESSIBLE.test(type) && Number(up.headers['content-length'] ?? 1) > 20
  const encoding = !compress ? null : /\bbr\b/.test(accept) ? 'br' : /\bgzip\b/.test(accept) ? 'gzip' : null
  const headers = { ...up.headers }
  delete headers.connection
  delete headers['keep-alive']
  if (immutable?.test(String(req.url).replace(/\?.*$/, ''))) headers['cache-control'] = 'public, max-age=31536000, immutable'
  if (encoding) {
    delete headers['content-length']
    headers['content-encoding'] = encoding
    headers.vary = 'Accept-Encoding'
    if (typeof headers.etag === 'string' && !headers.etag.startsWith('W/')) headers.etag = 'W/' + headers.etag
  }
  let body = 0
  const write = res.write.bind(res)
  res.write = ((chunk: Buffer, ...rest: never[]) => { body += chunk.length; return write(chunk, ...rest) }) as typeof res.write
  res.once('close', () => {
    // Node keeps the serialized status line and headers it sent; their length is what went out before the body.
    const head = String((res as unknown as { _header?: string })._header ?? '').length
    record({ method: req.method ?? 'GET', url: req.url ?? '/', status: res.statusCode, wireBytes: head + body, bodyBytes: body, encoding })
  })
  res.writeHead(up.statusCode ?? 502, headers)
  const coder = encoding === 'br'
    ? createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: 6 } })
    : encoding === 'gzip' ? createGzip({ level: 6 }) : null
  if (coder) up.pipe(coder).pipe(res)
  else up.pipe(res)
}
