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
