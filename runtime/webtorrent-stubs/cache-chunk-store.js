// Replaces `cache-chunk-store` (and the `lru` package it brings): the same cache, with a Map as its LRU list.
// WebTorrent puts it in front of the downloader's store, so a piece peers ask for block by block is read from the
// store once; the most recently read `max` pieces stay in memory, a put drops the cached copy, and reads of a piece
// already being read wait for that read. A closed cache fails every call, as the original does. Only what
// lib/torrent.js 3.0.21 uses is kept: it always passes `{ max }` (20 by default, and no cache at all for 0), so there
// is no default `max` and no check that the store is one; get, put, close and destroy behave as the original's.
const closed = cb => queueMicrotask(() => cb(new Error('CacheStore closed')))
const slice = (buf, opts) => {
  const offset = opts?.offset || 0
  const length = opts?.length || buf.length - offset
  return offset === 0 && length === buf.length ? buf : buf.slice(offset, offset + length)
}

export default class CacheStore {
  constructor (store, opts) {
    this.store = store
    this.chunkLength = store.chunkLength
    this.max = opts.max
    this.cache = new Map()
    this.reading = new Map()
  }

  put (index, buf, cb = () => {}) {
    if (!this.cache) return closed(cb)
    this.cache.delete(index)
    this.store.put(index, buf, cb)
  }

  get (index, opts, cb = () => {}) {
    if (typeof opts === 'function') return this.get(index, null, opts)
    if (!this.cache) return closed(cb)
    const buf = this.cache.get(index)
    if (buf) {
      // Most recently used last: the first key is the one to drop.
      this.cache.delete(index)
      this.cache.set(index, buf)
      return queueMicrotask(() => cb(null, slice(buf, opts)))
    }
    let waiting = this.reading.get(index)
    if (waiting) return waiting.push([opts, cb])
    this.reading.set(index, waiting = [[opts, cb]])
    this.store.get(index, (err, buf) => {
      this.reading.delete(index)
      if (!err && this.cache) {
        this.cache.set(index, buf)
        if (this.cache.size > this.max) this.cache.delete(this.cache.keys().next().value)
      }
      for (const [opts, cb] of waiting) err ? cb(err) : cb(null, slice(buf, opts))
    })
  }

  close (cb = () => {}) {
    if (!this.cache) return closed(cb)
    this.cache = null
    this.store.close(cb)
  }

  destroy (cb = () => {}) {
    if (!this.cache) return closed(cb)
    this.cache = null
    this.store.destroy(cb)
  }
}
