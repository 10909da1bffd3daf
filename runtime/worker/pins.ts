// Which build each open page loaded with, so a page never mixes files of two deploys: its subresources are looked
// up in its own build's manifest, whatever was deployed since. Kept in the store as well, because the browser
// stops idle workers, and a new deploy's worker takes over pages the old one pinned.
import { changeMeta, readMeta } from './storage.ts'

const KEY = 'clients'
let pins: Map<string, string> | undefined
let loading: Promise<Map<string, string>> | undefined
/** This worker's changes not yet written: a page's build, or null for a page that is gone. */
let changes = new Map<string, string | null>()
let saving: Promise<void> = Promise.resolve()

/** The pins if they are in memory (undefined until loaded once). */
export function pinsInMemory (): ReadonlyMap<string, string> | undefined {
  return pins
}

/** Client id -> build id, from memory or the store. */
export function loadPins (): Promise<ReadonlyMap<string, string>> {
  if (pins) return Promise.resolve(pins)
  loading ??= (async () => {
    const saved = await readMeta<Record<string, string>>(KEY)
    pins ??= new Map(Object.entries(saved ?? {}))
    return pins
  })()
  return loading
}

/**
 * Writes this worker's changes into what the store holds now, in one transaction: two workers write pins at once
 * across a deploy (the old one finishing a navigation, the new one taking over), and writing the whole map from
 * memory would undo the other's pins.
 */
function save (): Promise<void> {
  saving = saving.then(async () => {
    const mine = changes
    changes = new Map()
    await changeMeta<Record<string, string>>(KEY, old => {
      const all = { ...old }
      for (const [id, build] of mine) {
        if (build) all[id] = build
        else delete all[id]
      }
      return all
    })
  })
  return saving
}

/** The store's pins, once this worker's own changes are in, taken into memory: another worker may have pinned since. */
async function reread (): Promise<Map<string, string>> {
  await saving
  const saved = await readMeta<Record<string, string>>(KEY)
  // One read serves as the first load too (loadPins, if under way, keeps this map).
  const all = pins ??= new Map()
  for (const [id, build] of Object.entries(saved ?? {})) all.set(id, build)
  return all
}

/**
 * The build page `clientId` is pinned to, as the store has it now: the worker that answered its navigation may be
 * an older one that pinned it after this worker read the pins (a deploy's worker takes over mid-navigation).
 */
export async function storedPin (clientId: string): Promise<string | undefined> {
  return (await reread()).get(clientId)
}

/** Page `clientId` uses build `buildId` from now on. */
export async function pin (clientId: string, buildId: string): Promise<void> {
  const all = await loadPins() as Map<string, string>
  if (all.get(clientId) === buildId) return
  all.set(clientId, buildId)
  changes.set(clientId, buildId)
  await save()
}

/** Forgets the pages that are gone; returns the builds the remaining ones use (other workers' pins included). */
export async function buildsInUse (open: ReadonlySet<string>): Promise<Set<string>> {
  const all = await reread()
  for (const id of [...all.keys()]) {
    if (!open.has(id)) {
      all.delete(id)
      changes.set(id, null)
    }
  }
  if (changes.size) await save()
  return new Set(all.values())
}
