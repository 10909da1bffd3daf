// The anchor: the 2017 planktos (npm planktos@0.3.0), installed by the harness into bench/.planktos-2017/ (gitignored),
// set up on the same plain site with its own CLI code, and browsed by the same kind of visitors. Its published package
// lacks build/planktos.min.js.map, which its setup copies: an empty JSON object stands in. Two edits keep it hermetic:
// the torrent announces only to the bench's tracker, and its bundle's one STUN server (an IP literal) is pointed at a
// closed loopback port; its browsers also resolve no host name but 127.0.0.1.
import { spawnSync } from 'node:child_process'
import { cp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Request } from 'playwright-core'
import { serve, type RequestLogEntry } from '../integrations/cli/serve.ts'
import { traffic } from './visitor.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
export const PREFIX = join(root, 'bench/.planktos-2017')
export const PACKAGE = join(PREFIX, 'node_modules/planktos')
const NAV_TIMEOUT = 20_000

/** Installs planktos@0.3.0 into bench/.planktos-2017 unless it is there; returns an error sentence or null. */
export function install2017 (log: (line: string) => void): string | null {
  if (spawnSync('test', ['-f', join(PACKAGE, 'package.json')]).status !== 0) {
    log('anchor: npm install --prefix bench/.planktos-2017 planktos@0.3.0…')
    const r = spawnSync('npm', ['install', '--prefix', PREFIX, 'planktos@0.3.0', '--no-audit', '--no-fund', '--ignore-scripts'], { encoding: 'utf8' })
    if (r.status !== 0) return `npm could not install planktos@0.3.0: ${(r.stderr || r.error?.message || '').trim().split('\n').at(-1)}`
  }
  spawnSync('sh', ['-c', `test -f "${PACKAGE}/build/planktos.min.js.map" || echo '{}' > "${PACKAGE}/build/planktos.min.js.map"`])
  return null
}

/** Copies the plain site to `dir`, adds the 2017 install tag to every page and runs its setup for `origin`. */
async function setup2017 (plain: string, dir: string, origin: string, tracker: string): Promise<void> {
  await rm(dir, { recursive: true, force: true })
  await cp(plain, dir, { recursive: true })
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || !e.name.endsWith('.html')) continue
    const page = join(e.parentPath, e.name)
    const html = await readFile(page, 'utf8')
    await writeFile(page, html.replace('</head>', '<script src="/planktos/install.js"></script></head>'))
  }
  const script = `require(${JSON.stringify(join(PACKAGE, 'bin/setup.js'))}).setup(${JSON.stringify(dir)}, [${JSON.stringify(dir)}], { urlList: [${JSON.stringify(origin)}], announceList: [[${JSON.stringify(tracker)}]] }, err => { if (err) { console.error(err.message); process.exit(1) } })`
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', cwd: PREFIX })
  if (r.status !== 0) throw new Error(`the 2017 planktos setup failed: ${r.stderr.trim()}`)
  const bundle = join(dir, 'planktos/planktos.min.js')
  await writeFile(bundle, (await readFile(bundle, 'utf8')).replaceAll('stun:23.21.150.121', 'stun:127.0.0.1:9'))
}

export interface Visit2017 {
  pages: Array<{ url: string, loadMs: number | null, hung?: string[] }>
  originSiteBytes: number
  originPlanktosBytes: number
}

export interface Anchor2017 {
  installed: boolean
  error?: string
  visitors: Visit2017[]
  plainVisitBytes?: number
}

/** `n` visitors one after another, staying online, each following `path`; a navigation that does not load is recorded with the requests still open. */
export async function anchor2017 (plain: string, work: string, path: string[], tracker: string, plainVisitBytes: number, n: number, log: (line: string) => void): Promise<Anchor2017> {
  const error = install2017(log)
  if (error) return { installed: false, error, visitors: [] }
  const dir = join(work, 'site-2017')
  const requests: RequestLogEntry[] = []
  const server = await serve({ dir: plain, port: 0, onRequest: e => requests.push(e) })
  await server.close()
  // The torrent names its web seed, so the origin's address must be known before setup: same port, new server.
  await setup2017(plain, dir, server.url, tracker)
  const origin = await serve({ dir, port: server.port, onRequest: e => requests.push(e) })
  const browsers = []
  const visitors: Visit2017[] = []
  try {
    for (let k = 0; k < n; k++) {
      const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'] })
      browsers.push(browser)
      const page = await (await browser.newContext()).newPage()
      const open = new Set<Request>()
      page.on('request', r => open.add(r))
      page.on('requestfinished', r => open.delete(r))
      page.on('requestfailed', r => open.delete(r))
      const mark = requests.length
      const pages: Visit2017['pages'] = []
      for (const [i, url] of path.entries()) {
        try {
          await page.goto(origin.url + url, { waitUntil: 'load', timeout: NAV_TIMEOUT })
          const loadMs = await page.evaluate(() => { const n = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming; return n.loadEventEnd - n.startTime })
          pages.push({ url, loadMs })
          // Its worker installs on the first page and takes over at the next navigation; let it finish installing.
          if (i === 0) await page.waitForTimeout(3000)
        } catch {
          pages.push({ url, loadMs: null, hung: [...open].map(r => `${r.method()} ${r.url()}${r.serviceWorker() ? ' (from the worker)' : ''}`) })
          log(`  2017 visitor ${k + 1}: ${url || 'home'} did not load in ${NAV_TIMEOUT / 1000} s; open requests: ${pages.at(-1)!.hung!.join(', ') || 'none'}`)
        }
      }
      const t = traffic('planktos-2017', requests, mark)
      visitors.push({ pages, originSiteBytes: t.siteBytes, originPlanktosBytes: t.planktosBytes })
      log(`  2017 visitor ${k + 1}/${n} (abs.): ${pages.filter(p => p.loadMs !== null).length}/${path.length} pages loaded, origin ${t.siteBytes} B of site files, ${t.planktosBytes} B of planktos files`)
    }
  } finally {
    for (const b of browsers) await b.close().catch(() => {})
    await origin.close()
  }
  return { installed: true, visitors, plainVisitBytes }
}

export const exists = (p: string): Promise<boolean> => stat(p).then(() => true, () => false)
