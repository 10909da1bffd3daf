// The worker's handle on the shared store. Storage is an optimisation: when IndexedDB is missing, full or
// broken, every caller carries on with the network instead.
import { Store } from '../shared/store.ts'
import { config } from './scope.ts'

let opening: Promise<Store | undefined> | undefined

/** The site's store, or undefined when IndexedDB cannot be used here. */
export function store (): Promise<Store | undefined> {
  opening ??= Store.open(config.base).catch(() => {
    // Try again on a later request: a transient failure (a blocked upgrade) should not disable storage for good.
    setTimeout(() => { opening = undefined }, 10_000)
    return undefined
  })
  return opening
}

/** Meta value `key`, or undefined when there is none, or no store to read it from. */
export async function readMeta<T> (key: string): Promise<T | undefined> {
  return (await store())?.getMeta<T>(key).catch(() => undefined)
}

/** Writes meta value `key`; without a store (or when the write fails) it is not kept, and nobody is told. */
export async function writeMeta (key: string, value: unknown): Promise<void> {
  await (await store())?.setMeta(key, value).catch(() => {})
}

/** Changes meta value `key` in one transaction (see Store.updateMeta); without a store nothing changes. */
export async function changeMeta<T> (key: string, change: (old: T | undefined) => T | undefined): Promise<void> {
  await (await store())?.updateMeta<T>(key, change).catch(() => {})
}
