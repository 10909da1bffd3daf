// A worker whose site no longer has a planktos manifest steps aside: the origin answered 404 for it, so what is
// there now is not a planktos deploy (a dev server on the port a planktos build was previewed on, or a site that
// dropped planktos without a kill switch). Serving on from the store would show stale pages forever, since a 404
// for the worker's script does not remove a worker. So it stops answering, then does what the kill switch does.
import { deleteStore } from './kill.ts'
import { scope } from './scope.ts'

let aside: Promise<void> | undefined

/** Whether the worker has stepped aside: every request is then the network's, as without planktos. */
export function steppedAside (): boolean {
  return aside !== undefined
}

/** Called with the origin's status for the manifest; 404 and 410 mean planktos is gone from the site. */
export function manifestStatus (status: number): void {
  if (status !== 404 && status !== 410) return
  aside ??= deleteStore().then(() => scope.registration.unregister()).then(() => {}, () => {})
}
