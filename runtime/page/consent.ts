// Consent for peer-to-peer (runs in the page): under `p2p: 'opt-in'` no tracker is contacted and no peer
// connection made until the visitor allows it, and under either setting a visitor may withdraw. The choice is
// kept in the site's own store, so it is per site (base), shared by its tabs, and goes away with the rest of
// planktos' storage.
import type { Store } from '../shared/store.ts'

const KEY = 'p2p-allowed'

/** The visitor's choice for this site, or undefined when it made none. */
export async function choice (store: Store): Promise<boolean | undefined> {
  const value = await store.getMeta<unknown>(KEY).catch(() => undefined)
  return typeof value === 'boolean' ? value : undefined
}

/** Remembers the visitor's choice for this site. */
export function remember (store: Store, allowed: boolean): Promise<void> {
  return store.setMeta(KEY, allowed)
}
