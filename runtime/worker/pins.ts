// Which build each open page loaded with, so a page never mixes files of two deploys: its subresources are looked
// up in its own build's manifest, whatever was deployed since. Kept in the store as well, because the browser
// stops idle workers, and a new deploy's worker takes over pages the old one pinned.
import { store } from './storage.ts'

const KEY = 'clients'
let pins: Map<string, string> | undefined
let loading: Promise<Map<string, string>> | undefined
let saving: Promise<void> = Promise.resolve()

/** The pins if they are in memory (undefined until loaded once). */
export function pinsInMemory (): ReadonlyMap<string, string> | undefined {
  return pins
}

/** Client id -> build id, from memory or the store. */
export function loadPins (): Promise<ReadonlyMap<string, string>> {
  if (pins) return Promise.resolve(pins)
  loading ??= (async () => {
    const saved = await (await store())?.getMeta<Record<string, string>>(KEY).catch(() => undefined)
    pins ??= new Map(Object.entries(saved ?? {}))
    return pins
  })()
  return loading
}

/** Writes happen one after another, each with the pins as they are then, so the last write wins with the latest. */
function save (): Promise<void> {
  saving = saving.then(async () => {
    await (await store())?.setMeta(KEY, Object.fromEntries(pins ?? [])).catch(() => {})
  })
  return saving
}

/** Page `clientId` uses build `buildId` from now on. */
export async function pin (clientId: string, buildId: string): Promise<void> {
  const all = await loadPins() as Map<string, string>
  if (all.get(clientId) === buildId) return
  all.set(clientId, buildId)
  await save()
}

/** Forgets the pages that are gone; returns the builds the remaining ones use. */
export async function buildsInUse (open: ReadonlySet<string>): Promise<Set<string>> {
  const all = await loadPins() as Map<string, string>
  let changed = false
  for (const id of [...all.keys()]) {
    if (!open.has(id)) changed = all.delete(id)
  }
  if (changed) await save()
  return new Set(all.values())
}
