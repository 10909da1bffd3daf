// Consent for peer-to-peer (runs in the page; setting `p2p: 'opt-in'`): until the visitor allows it, no tracker
// is contacted and no peer connection made. The choice is kept in the site's own store, so it is per site (base),
// shared by its tabs, and goes away with the rest of planktos' storage.
import type { Store } from '../shared/store.ts'

const KEY = 'p2p-allowed'

/** Whether the visitor allowed peer-to-peer for this site earlier. */
export async function allowed (store: Store): Promise<boolean> {
  return await store.getMeta<boolean>(KEY).catch(() => undefined) === true
}

/** Remembers that the visitor allowed peer-to-peer for this site. */
export function remember (store: Store): Promise<void> {
  return store.setMeta(KEY, true)
}
