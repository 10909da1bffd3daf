// One listener per emitter and event, however many requests wait on it: each request adds and removes its own
// callback here, and WebTorrent's emitter sees one. A busy page (a gallery asking for twenty images at once) would
// otherwise pass EventEmitter's limit of ten and print MaxListenersExceededWarning in the visitor's console.
type Listener = (...args: any[]) => void
/** A WebTorrent torrent or wire. */
interface Emitter { on (event: string, listener: Listener): unknown }

const fans = new WeakMap<Emitter, Map<string, Set<Listener>>>()

/** Calls `listener` on each `event` of `emitter` until the returned function is called. */
export function listen (emitter: Emitter, event: string, listener: Listener): () => void {
  let events = fans.get(emitter)
  if (!events) fans.set(emitter, events = new Map())
  let listeners = events.get(event)
  if (!listeners) {
    const all = listeners = new Set()
    events.set(event, all)
    // A copy: a listener may remove itself (or add another) while the event is being delivered.
    emitter.on(event, (...args: unknown[]) => { for (const l of [...all]) l(...args) })
  }
  listeners.add(listener)
  return () => { listeners.delete(listener) }
}
