// The service worker's global scope and its configuration. Runs in the worker only.
// TypeScript's `webworker` library cannot be combined with `dom` in one program, so the few service-worker
// types the runtime uses are declared here, as the platform defines them.

export interface ExtendableEvent extends Event {
  waitUntil (promise: Promise<unknown>): void
}

export interface FetchEvent extends ExtendableEvent {
  readonly request: Request
  /** The page that made the request; empty for navigations. */
  readonly clientId: string
  /** The page a navigation will create. */
  readonly resultingClientId: string
  respondWith (response: Response | Promise<Response>): void
}

export interface WorkerClient {
  readonly id: string
  readonly url: string
  readonly type: 'window' | 'worker' | 'sharedworker'
  postMessage (message: unknown, transfer?: Transferable[]): void
  /** Window clients only: loads `url` in the page. */
  navigate? (url: string): Promise<WorkerClient | null>
}

export interface ExtendableMessageEvent extends ExtendableEvent {
  readonly data: unknown
  readonly source: WorkerClient | ServiceWorker | MessagePort | null
  readonly ports: readonly MessagePort[]
}

export interface Clients {
  get (id: string): Promise<WorkerClient | undefined>
  matchAll (options?: { includeUncontrolled?: boolean, type?: 'window' | 'worker' | 'sharedworker' | 'all' }): Promise<WorkerClient[]>
  claim (): Promise<void>
}

export interface WorkerScope {
  readonly clients: Clients
  readonly registration: ServiceWorkerRegistration
  /** This worker (missing before Chromium 116 and Firefox 120). */
  readonly serviceWorker?: ServiceWorker
  readonly location: Location
  skipWaiting (): Promise<void>
  addEventListener (type: 'install' | 'activate', listener: (event: ExtendableEvent) => void): void
  addEventListener (type: 'fetch', listener: (event: FetchEvent) => void): void
  addEventListener (type: 'message', listener: (event: ExtendableMessageEvent) => void): void
  /** The first line of the deployed worker, written by the builder. */
  PLANKTOS_CONFIG?: Partial<WorkerConfig>
}

/** What the builder tells the worker on its first line: it changes with every deploy. */
export interface WorkerConfig {
  buildId: string
  /** URL path of the site, with a leading and trailing slash. */
  base: string
  /** This build only removes planktos from visitors. */
  killSwitch: boolean
  /** Kill switch only: reload the pages the removed worker controlled (dev servers, where those pages are stale). */
  reload?: boolean
  /** SHA-256 of this deploy's install.js and downloader.js, by path under the base. */
  runtime?: Record<string, string>
}

export const scope = globalThis as unknown as WorkerScope

let read: WorkerConfig | undefined

/** Read on first use, not at import: a module that imports this one then loads in Node (for unit tests). */
function resolved (): WorkerConfig {
  read ??= {
    buildId: '',
    base: new URL(scope.registration?.scope ?? '/', scope.location.href).pathname,
    killSwitch: false,
    ...scope.PLANKTOS_CONFIG
  }
  return read
}

/** The configuration; without the builder's first line (a bare dist/runtime/sw.js), the scope gives the base. */
export const config: Readonly<WorkerConfig> = {
  get buildId () { return resolved().buildId },
  get base () { return resolved().base },
  get killSwitch () { return resolved().killSwitch },
  get reload () { return resolved().reload },
  get runtime () { return resolved().runtime }
}
