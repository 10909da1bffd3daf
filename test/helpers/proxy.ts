// A misbehaving front for a test origin: an HTTP proxy on its own loopback port (so its own browser origin) that
// forwards to `planktos serve` and lets a test change what one request gets: an error status, other bytes, extra
// headers, a dropped Range header. Test-only; the origin's request log still records every forwarded request.
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Origin } from './site.ts'

export interface Upstream {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

export interface Forward {
  /** Request headers as sent on (edit them to drop Range, say). */
  headers: IncomingHttpHeaders
}

/**
 * What the test does with one request: undefined forwards it as it is; otherwise the test answers `res` itself,
 * possibly after `fetchUpstream()` (the origin's whole answer, with the request's headers or edited ones).
 */
export type Handler = (req: IncomingMessage, res: ServerResponse, fetchUpstream: (edit?: (h: IncomingHttpHeaders) => void) => Promise<Upstream>) => Promise<boolean | void> | boolean | void

export interface Proxy {
  /** The site's address through the proxy, base included. */
  url: string
  port: number
  /** Method and URL of every request the proxy received, in order. */
  seen: Array<{ method: string, url: string, range: string | null }>
  /** Headers added to every forwarded response (a Content-Security-Policy, say). */
  extraHeaders: Record<string, string>
  handler?: Handler
  close (): Promise<void>
}

function upstream (origin: Origin, req: IncomingMessage, headers: IncomingHttpHeaders): Promise<Upstream> {
  return new Promise((resolve, reject) => {
    const out = request({ host: '127.0.0.1', port: origin.port, method: req.method, path: req.url, headers }, res => {
      const chunks: Buffer[] = []
      res.on('data', c => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    out.on('error', reject)
    req.pipe(out)
  })
}

/** Starts a proxy in front of `origin`; every request is forwarded unless `handler` answers it. */
export async function startProxy (origin: Origin, base = new URL(origin.url).pathname): Promise<Proxy> {
  const proxy: Proxy = { url: '', port: 0, seen: [], extraHeaders: {}, close: async () => {} }
  const server = createServer((req, res) => {
    proxy.seen.push({ method: req.method ?? 'GET', url: req.url ?? '/', range: req.headers.range ?? null })
    const fetchUpstream = (edit?: (h: IncomingHttpHeaders) => void): Promise<Upstream> => {
      const headers = { ...req.headers, host: `127.0.0.1:${origin.port}` }
      edit?.(headers)
      return upstream(origin, req, headers)
    }
    void (async () => {
      if (await proxy.handler?.(req, res, fetchUpstream)) return
      const answer = await fetchUpstream()
      res.writeHead(answer.status, { ...answer.headers, ...proxy.extraHeaders })
      res.end(answer.body)
    })().catch(() => {
      if (!res.headersSent) res.writeHead(502)
      res.end()
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  proxy.port = (server.address() as { port: number }).port
  proxy.url = `http://127.0.0.1:${proxy.port}${base}`
  proxy.close = () => new Promise<void>(resolve => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
  return proxy
}
