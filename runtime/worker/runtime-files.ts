// planktos' own scripts (install.js, downloader.js): from the network first, so a deploy's new code is used at
// once, else from a copy kept in the store, so pages still start planktos (and seed) while the origin is down.
import { DOWNLOADER_FILE, INSTALL_FILE } from '../shared/manifest.ts'
import { SOURCE_HEADER } from './respond.ts'
import { config, type FetchEvent } from './scope.ts'
import { store } from './storage.ts'

interface Copy {
  body: Uint8Array
  type: string
  /** The validator the origin sent, to skip rewriting an unchanged copy on every page load. */
  tag: string
}

/** The store key of the runtime file at `pathname`, or null when it is not one. */
export function runtimeKey (pathname: string): string | null {
  const file = pathname.slice(config.base.length)
  return pathname.startsWith(config.base) && (file === INSTALL_FILE || file === DOWNLOADER_FILE) ? `runtime:${file}` : null
}

export async function answerRuntime (event: FetchEvent, key: string): Promise<Response> {
  try {
    const res = await fetch(event.request)
    if (res.status === 200) event.waitUntil(keepCopy(key, res.clone()).catch(() => {}))
    return res
  } catch {
    const copy = await (await store())?.getMeta<Copy>(key).catch(() => undefined)
    if (!copy) return Response.error()
    return new Response(copy.body as Uint8Array<ArrayBuffer>, { headers: { 'Content-Type': copy.type, [SOURCE_HEADER]: 'store' } })
  }
}

/** Keeps `res` (a 200 for a runtime file) in the store, unless the copy there has the same validator. */
export async function keepCopy (key: string, res: Response): Promise<void> {
  const db = await store()
  if (!db) return
  const tag = res.headers.get('ETag') ?? res.headers.get('Last-Modified') ?? ''
  const old = await db.getMeta<Copy>(key)
  if (old && tag && old.tag === tag) return
  const body = new Uint8Array(await res.arrayBuffer())
  await db.setMeta(key, { body, type: res.headers.get('Content-Type') ?? 'text/javascript', tag } satisfies Copy)
}
