// Replaces `cache-chunk-store` and the `lru` package it brings (~6.6 KB of source, ~1 KB brotli): the same cache of
// the last `max` pieces read, in a Map (whose insertion order is the least-recently-used order), where concurrent
// reads of one piece share one read of the store and a piece written again is read afresh. lru's expiry by age and
// its events are options WebTorrent never passes.
export default class CacheStore {
  constructor (store, { max }) {
    this.store = store
    this.chunkLength = store.chunkLength
    this.max = max
    this.cache = new Map()
  }

  put (index, buf, cb) {
    this.cache.delete(index)
    this.store.put(index, buf, cb)
  }

  get (index, opts, cb = () => {}) {
    if (typeof opts === 'function') return this.get(index, null, opts)
    let piece = this.cache.get(index)
    this.cache.delete(index)
    if (!piece) {
      piece = new Promise((resolve, reject) => this.store.get(index, (err, buf) => err ? reject(err) : resolve(buf)))
      // A failed read is not kept: the next one asks the store again.
      piece.catch(() => { if (this.cache.get(index) === piece) this.cache.delete(index) })
    }
    this.cache.set(index, piece)
    if (this.cache.size > this.max) this.cache.delete(this.cache.keys().next().value)
    const offset = opts?.offset || 0
    piece.then(buf => {
      const length = opts?.length || buf.length - offset
      cb(null, offset === 0 && length === buf.length ? buf : buf.slice(offset, offset + length))
    }, cb)
  }

  close (cb) {
    this.cache.clear()
    this.store.close(cb)
  }

  destroy (cb) {
    this.cache.clear()
    this.store.destroy(cb)
  }
}
