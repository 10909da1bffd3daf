// WebKit (WebKitGTK, Safari's engine) for the browser tests, driven over W3C WebDriver HTTP by Debian's
// WebKitWebDriver, and shaped like the part of playwright-core's Browser, BrowserContext and Page that the suites
// use, so a suite's test bodies run in WebKit unchanged. Each visitor (context) is its own driver and browser
// process, because a driver runs one session; the browser is test/helpers/webkit-browser.py with an on-disk profile
// (a restart keeps the visitor's worker and store), on an Xvfb display shared by the visitors of one Browser.
// Without a display `POST /session` never answers, so every call has a time limit.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const BROWSER_SCRIPT = fileURLToPath(new URL('./webkit-browser.py', import.meta.url))
/** The driver runs the browser binary by absolute path (it does not search PATH). */
const PYTHON = '/usr/bin/python3'
const HANG = 30_000

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

/** A port nobody listens on now. */
function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** Ends a process we spawned detached, with its children (the driver's browser). */
function end (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  try { process.kill(-child.pid!, 'SIGTERM') } catch {}
  return Promise.race([exited, sleep(5000).then(() => { try { process.kill(-child.pid!, 'SIGKILL') } catch {} })])
}

/** Starts Xvfb on a display number it picks itself (`-displayfd`), and returns it with the display's name. */
async function startXvfb (): Promise<{ child: ChildProcess, display: string }> {
  const child = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x800x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'], detached: true })
  let err = ''
  child.stderr!.on('data', (d: Buffer) => { err += d.toString() })
  const display = await new Promise<string>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`Xvfb did not start within ${HANG} ms: ${err}`)), HANG)
    ;(child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes('\n')) { clearTimeout(timer); resolve(':' + out.trim()) }
    })
    child.once('error', e => { clearTimeout(timer); reject(e) })
    child.once('exit', code => { clearTimeout(timer); reject(new Error(`Xvfb exited (${code}): ${err}`)) })
  })
  return { child, display }
}

interface WebDriverError { error: string, message: string }

/** One WebKitWebDriver process and its one session. */
class Driver {
  #queue: Promise<unknown> = Promise.resolve()
  current = ''
  readonly log: string[] = []
  /** Called with each line of the log as it comes. */
  readonly listeners = new Set<(line: string) => void>()
  /**
   * Web views the browser has made: the session's first window is view 0, each window the driver opens the next,
   * as webkit-browser.py numbers them in the lines it prints about a view's requests and responses.
   */
  views = 1
  readonly child: ChildProcess
  readonly base: string
  session = ''
  private constructor (child: ChildProcess, base: string) {
    this.child = child
    this.base = base
  }

  static async start (display: string, profile: string, args: readonly string[]): Promise<Driver> {
    const port = await freePort()
    const child = spawn('WebKitWebDriver', [`--port=${port}`], { env: { ...process.env, DISPLAY: display }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    const driver = new Driver(child, `http://127.0.0.1:${port}`)
    // The browser's stdout and stderr reach the driver's: the pages' console messages among them.
    for (const s of [child.stdout!, child.stderr!]) {
      s.on('data', (d: Buffer) => {
        for (const line of d.toString().split('\n').filter(Boolean)) {
          driver.log.push(line)
          for (const listener of driver.listeners) listener(line)
        }
      })
    }
    try {
      const deadline = Date.now() + HANG
      while (!await fetch(driver.base + '/status', { signal: AbortSignal.timeout(1000) }).then(r => r.ok, () => false)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`WebKitWebDriver did not start: ${driver.log.join('\n')}`)
        await sleep(50)
      }
      const created = await driver.raw('POST', '/session', {
        capabilities: { alwaysMatch: { 'webkitgtk:browserOptions': { binary: PYTHON, args: [BROWSER_SCRIPT, '--automation', `--profile=${profile}`, ...args] } } }
      }).catch((err: Error) => { throw new Error(`${err.message}; the driver said: ${driver.log.slice(-20).join('\n')}`) }) as { sessionId: string }
      driver.session = created.sessionId
      await driver.call('POST', '/timeouts', { script: HANG, pageLoad: HANG })
      driver.current = await driver.call('GET', '/window') as string
      return driver
    } catch (err) {
      await end(child)
      throw err
    }
  }

  async raw (method: string, path: string, body?: unknown, ms = HANG): Promise<unknown> {
    const res = await fetch(this.base + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(ms)
    }).catch((err: Error) => { throw new Error(`hang: WebDriver ${method} ${path} (${err.message})`) })
    const { value } = await res.json() as { value: unknown }
    if (!res.ok) {
      const e = value as WebDriverError
      throw new Error(`WebDriver ${method} ${path}: ${e.error}: ${e.message}`)
    }
    return value
  }

  /** A session command; commands run one at a time, each in window `handle` when given. */
  call (method: string, path: string, body?: unknown, handle?: string, ms = HANG): Promise<unknown> {
    const run = async (): Promise<unknown> => {
      if (handle && handle !== this.current) {
        await this.raw('POST', `/session/${this.session}/window`, { handle })
        this.current = handle
      }
      return this.raw(method, `/session/${this.session}${path}`, body, ms)
    }
    const next = this.#queue.then(run, run)
    this.#queue = next.catch(() => {})
    return next
  }

  async quit (): Promise<void> {
    if (this.session) await this.raw('DELETE', `/session/${this.session}`, undefined, 10_000).catch(() => {})
    this.session = ''
    await end(this.child)
  }
}

/** Wraps an object so that a playwright method the WebKit shim lacks fails with a sentence, not `undefined is not a function`. */
function strict<T extends object> (target: T, what: string): T {
  return new Proxy(target, {
    get (t, prop, receiver) {
      if (prop in t || typeof prop === 'symbol' || prop === 'then' || prop === 'toJSON') return Reflect.get(t, prop, receiver)
      throw new Error(`${what}.${prop} is not available in the WebKit tests (WebDriver has no such call); give this test a WebKit variant or leave WebKit out of its suite`)
    }
  })
}

/** A request as a page's `request` events give it: the calls the suites use. */
export interface WebKitRequest { url (): string }

/** What a navigation got, from the line webkit-browser.py prints for it. */
interface Navigation { url: string, status: number, headers: Record<string, string> }

const PREFIX = 'planktos-webkit: '
/** How WebKit prints an uncaught exception or rejection of a page (after its `url:line:column: `, if any). */
const PAGE_ERROR = 'CONSOLE JS ERROR '

/** A tab of a WebKit visitor, with playwright's Page calls the suites use. */
export class WebKitPage {
  readonly ctx: WebKitContext
  readonly handle: string
  /** This tab's web view in webkit-browser.py's numbering. */
  readonly view: number
  /**
   * The driver of the browser this tab lives in. A restart starts another, whose views are numbered from 0 again:
   * a tab of the old one must neither send commands to it nor hear its lines as its own.
   */
  private readonly driver: Driver
  /** What `on` registered with the driver, so that `off` and `close` can take it away again. */
  private readonly heard: Array<{ event: string, listener: unknown, line: (line: string) => void }> = []
  constructor (ctx: WebKitContext, handle: string, view: number) {
    this.ctx = ctx
    this.handle = handle
    this.view = view
    this.driver = ctx.driver
  }

  /** The driver, while this tab's browser runs; after a restart of its visitor, a sentence. */
  private live (): Driver {
    if (this.driver !== this.ctx.driver) throw new Error('this WebKit page was closed when its visitor\'s browser restarted (context.restart()); open a new one with context.newPage()')
    return this.driver
  }

  private send (method: string, path: string, body?: unknown, ms?: number): Promise<unknown> {
    return this.live().call(method, path, body, this.handle, ms)
  }

  /**
   * Navigates and waits for the load event, and resolves to the navigation's response (status and headers, as
   * webkit-browser.py read them; WebDriver itself does not expose them).
   */
  async goto (url: string): Promise<object> {
    const mark = this.live().log.length
    await this.send('POST', '/url', { url })
    return this.loaded(mark, `goto ${url}`)
  }

  async reload (): Promise<object> {
    const mark = this.live().log.length
    await this.send('POST', '/refresh', {})
    return this.loaded(mark, 'reload')
  }

  /**
   * Waits for the line the browser prints when this tab's load finishes, after one saying it failed
   * (webkit-browser.py), and resolves to the response: a navigation that failed rejects here as it does in
   * playwright, instead of passing for the error page WebKit shows.
   */
  private async loaded (mark: number, what: string): Promise<object> {
    const log = this.driver.log
    const [finished, failure] = [`${PREFIX}load finished ${this.view}:`, `${PREFIX}load failed ${this.view}:`]
    const deadline = Date.now() + HANG
    while (!log.slice(mark).some(l => l.startsWith(finished))) {
      if (Date.now() > deadline) throw new Error(`${what}: the browser reported no finished load within ${HANG} ms`)
      await sleep(20)
    }
    const failed = log.slice(mark).find(l => l.startsWith(failure))
    if (failed) throw new Error(`${what}: ${failed.slice(PREFIX.length)}`)
    return this.response(mark)
  }

  /** The last response of this tab's navigations logged since log line `mark`. */
  private response (mark: number): object {
    const tag = `${PREFIX}response ${this.view} `
    const line = this.driver.log.slice(mark).findLast(l => l.startsWith(tag))
    if (!line) return strict({}, 'response')
    const r = JSON.parse(line.slice(tag.length)) as Navigation
    return strict({ url: () => r.url, status: () => r.status, headers: () => r.headers }, 'response')
  }

  /**
   * Playwright's `request`, `requestfinished` and `requestfailed` events, from the lines webkit-browser.py prints
   * for this tab's requests (WebKit's resource-load signals), and `pageerror` from WebKit's console lines.
   */
  on (event: 'request' | 'requestfinished' | 'requestfailed', listener: (r: WebKitRequest) => void): this
  on (event: 'pageerror', listener: (e: Error) => void): this
  on (event: string, listener: (x: never) => void): this {
    const call = listener as (x: unknown) => void
    const driver = this.live()
    let heard: (line: string) => void
    if (event === 'pageerror') {
      // Console lines name no tab: a page hears every uncaught error its visitor's browser prints.
      heard = line => {
        const at = line.indexOf(PAGE_ERROR)
        if (at >= 0) call(new Error(line.slice(at + PAGE_ERROR.length)))
      }
    } else {
      const word = { request: 'request', requestfinished: 'finished', requestfailed: 'failed' }[event]
      if (!word) throw new Error(`page.on('${event}') is not available in the WebKit tests`)
      const requests = this.ctx.requests
      heard = line => {
        const [tag, view, id, url] = line.slice(PREFIX.length).split(' ')
        if (!line.startsWith(PREFIX) || Number(view) !== this.view || id === undefined) return
        if (tag === 'request' && !requests.has(id)) requests.set(id, { url: () => url! })
        if (tag === word) call(requests.get(id))
      }
    }
    driver.listeners.add(heard)
    this.heard.push({ event, listener, line: heard })
    return this
  }

  /** Playwright's `off`: `listener` no longer hears `event` on this tab (once for each time it was added, as there). */
  off (event: string, listener: (x: never) => void): this {
    const at = this.heard.findIndex(h => h.event === event && h.listener === listener)
    if (at >= 0) this.driver.listeners.delete(this.heard.splice(at, 1)[0]!.line)
    return this
  }

  removeListener (event: string, listener: (x: never) => void): this {
    return this.off(event, listener)
  }

  /** Polls until the page is at `url` and loaded. */
  async waitForURL (url: string, options: { timeout?: number } = {}): Promise<void> {
    const deadline = Date.now() + (options.timeout ?? HANG)
    while (await this.url() !== url || !await this.evaluate(() => document.readyState === 'complete').catch(() => false)) {
      if (Date.now() > deadline) throw new Error(`waitForURL ${url}: timeout ${options.timeout ?? HANG} ms exceeded`)
      await sleep(100)
    }
  }

  async url (): Promise<string> {
    return await this.send('GET', '/url') as string
  }

  /** Runs `fn(arg)` in the page and resolves to its (awaited, JSON) result, as playwright's evaluate does. */
  async evaluate<R, A> (fn: ((arg: A) => R | Promise<R>) | string, arg?: A): Promise<R> {
    const body = typeof fn === 'string' ? `return (${fn})` : `return (${fn.toString()})(arguments[0])`
    const script = `const done = arguments[arguments.length - 1];
      Promise.resolve().then(() => { ${body} }).then(v => done({ ok: v }), e => done({ err: String(e && e.stack ? e.message + '\\n' + e.stack : e) }))`
    const r = await this.send('POST', '/execute/async', { script, args: [arg ?? null] }) as { ok?: R, err?: string }
    if (r.err !== undefined) throw new Error(`page.evaluate in WebKit: ${r.err}`)
    return r.ok as R
  }

  async textContent (selector: string): Promise<string | null> {
    return this.evaluate(s => document.querySelector(s)?.textContent ?? null, selector)
  }

  /** Polls `fn(arg)` until it is truthy. */
  async waitForFunction<A> (fn: (arg: A) => unknown, arg?: A, options: { timeout?: number } = {}): Promise<void> {
    const deadline = Date.now() + (options.timeout ?? HANG)
    while (!await this.evaluate(fn, arg)) {
      if (Date.now() > deadline) throw new Error(`waitForFunction: timeout ${options.timeout ?? HANG} ms exceeded`)
      await sleep(100)
    }
  }

  waitForTimeout (ms: number): Promise<void> {
    return sleep(ms)
  }

  context (): WebKitContext {
    return this.ctx
  }

  /** Closes the tab; the visitor's browser stays open without it, as a playwright context does without pages. */
  async close (): Promise<void> {
    for (const h of this.heard.splice(0)) this.driver.listeners.delete(h.line)
    if (this.driver !== this.ctx.driver) return
    await this.ctx.closing(this.handle)
    await this.send('DELETE', '/window').catch(() => {})
  }
}

/** Options of playwright's `browser.newContext` that the WebKit visitors take. */
export interface WebKitContextOptions { serviceWorkers?: 'allow' | 'block' }

/** A WebKit visitor: one driver, one browser process, one profile directory. */
export class WebKitContext {
  /** The visitor's open windows: its pages, and a blank one not yet given out as a page, when there is one. */
  private windows: string[] = []
  private spare?: { handle: string, view: number }
  /** The requests of the visitor's pages, by webkit-browser.py's id. */
  readonly requests = new Map<string, WebKitRequest>()
  readonly browser: WebKitBrowser
  driver: Driver
  readonly profile: string
  readonly args: readonly string[]
  constructor (browser: WebKitBrowser, driver: Driver, profile: string, args: readonly string[]) {
    this.browser = browser
    this.driver = driver
    this.profile = profile
    this.args = args
    this.started()
  }

  private started (): void {
    this.windows = [this.driver.current]
    this.requests.clear()
    this.spare = { handle: this.driver.current, view: 0 }
  }

  private async newWindow (): Promise<{ handle: string, view: number }> {
    const { handle } = await this.driver.call('POST', '/window/new', { type: 'tab' }, this.windows[0]) as { handle: string }
    this.windows.push(handle)
    return { handle, view: this.driver.views++ }
  }

  async newPage (): Promise<WebKitPage> {
    const window = this.spare ?? await this.newWindow()
    this.spare = undefined
    return strict(new WebKitPage(this, window.handle, window.view), 'page')
  }

  /** Before tab `handle` closes: the browser quits with its last window, so a blank one is opened to outlive it. */
  async closing (handle: string): Promise<void> {
    if (this.windows.length === 1 && this.windows[0] === handle) this.spare = await this.newWindow()
    this.windows = this.windows.filter(h => h !== handle)
  }

  /**
   * Runs `script` (a function, or its source) first in every document of the pages opened from now on, as
   * playwright's does in every page of the context. Playwright's also reaches the pages already open, from their
   * next document on; webkit-browser.py gives a web view its scripts only as it makes it, so with a page open this
   * refuses instead of leaving that page without the script.
   */
  async addInitScript (script: string | (() => unknown)): Promise<void> {
    const open = this.windows.filter(h => h !== this.spare?.handle).length
    if (open) throw new Error(`context.addInitScript in the WebKit tests reaches only pages opened after it, and this visitor has ${open} open: call it before context.newPage()`)
    const file = join(this.profile, 'init.js')
    const source = typeof script === 'string' ? script : `(${script.toString()})()`
    await writeFile(file, `${await readFile(file, 'utf8').catch(() => '')};${source}\n`)
    // The blank window was made without it.
    this.spare = undefined
  }

  /** The console messages the visitor's pages logged, with the browser's own output. */
  console (): string[] {
    return this.driver.log
  }

  /** Quits the browser and starts it again on the same profile: a returning visitor. Earlier pages are gone. */
  async restart (): Promise<void> {
    await this.driver.quit()
    this.driver = await Driver.start(this.browser.display, this.profile, this.args)
    this.started()
  }

  setDefaultTimeout (): void {}
  setDefaultNavigationTimeout (): void {}

  async close (): Promise<void> {
    await this.driver.quit()
    this.browser.contexts.delete(this)
    await rm(this.profile, { recursive: true, force: true })
  }
}

/** WebKit visitors on one Xvfb display. */
export class WebKitBrowser {
  readonly contexts = new Set<WebKitContext>()
  readonly xvfb: ChildProcess
  readonly display: string
  private constructor (xvfb: ChildProcess, display: string) {
    this.xvfb = xvfb
    this.display = display
  }

  static async launch (): Promise<WebKitBrowser> {
    const { child, display } = await startXvfb()
    return strict(new WebKitBrowser(child, display), 'browser')
  }

  /** A new visitor; `serviceWorkers: 'block'` turns WebKit's service workers off, as a browser setting does. */
  async newContext (options: WebKitContextOptions = {}): Promise<WebKitContext> {
    const args = options.serviceWorkers === 'block' ? ['--no-service-workers'] : []
    const profile = await mkdtemp(join(tmpdir(), 'planktos-webkit-'))
    const driver = await Driver.start(this.display, profile, args).catch(async err => {
      await rm(profile, { recursive: true, force: true })
      throw err
    })
    const ctx = strict(new WebKitContext(this, driver, profile, args), 'context')
    this.contexts.add(ctx)
    return ctx
  }

  async close (): Promise<void> {
    for (const ctx of [...this.contexts]) await ctx.close()
    await end(this.xvfb)
  }
}
