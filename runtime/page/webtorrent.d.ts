// The part of WebTorrent 3's browser build the downloader uses (the package ships no types). Names with an
// underscore are internals of lib/torrent.js that have no public equivalent; they are listed so every use of
// one is visible in one place.

declare module 'webtorrent/dist/webtorrent.min.js' {
  type Callback<T = void> = (err: Error | null, value?: T) => void

  export interface ChunkStore {
    readonly chunkLength: number
    put (index: number, buf: Uint8Array, cb?: Callback): void
    get (index: number, opts: { offset?: number, length?: number } | null | Callback<Uint8Array>, cb?: Callback<Uint8Array>): void
    close (cb?: Callback): void
    destroy (cb?: Callback): void
  }

  export type ChunkStoreConstructor = new (chunkLength: number, opts: { length: number }) => ChunkStore

  interface Emitter {
    on (event: string, listener: (...args: any[]) => void): this
    once (event: string, listener: (...args: any[]) => void): this
    removeListener (event: string, listener: (...args: any[]) => void): this
  }

  export interface Wire extends Emitter {
    readonly type: string
    readonly destroyed: boolean
    /** The remote peer's id, hex, once the handshake is done. */
    readonly peerId: string | null
    /** The pieces the remote side says it has. */
    readonly peerPieces: { get (index: number): boolean, set (index: number, value: boolean): void }
    have (index: number): void
    destroy (): void
    /** Adds a BEP 10 extension (a class whose prototype has a `name`); only before the handshake. */
    use (extension: unknown): void
    /** Internal (bittorrent-protocol): the block requests sent to the remote side and not yet answered. */
    readonly requests: Array<{ piece: number, offset: number }>
    /** BEP 10: what this side's extended handshake says besides its extensions; set before the handshake goes out. */
    readonly extendedHandshake: Record<string, unknown>
    /** BEP 10: the remote side's extended handshake (any values: the remote side chose them). */
    readonly peerExtendedHandshake?: Record<string, unknown>
    /** BEP54 extension, which WebTorrent adds to every wire. */
    readonly lt_donthave?: { donthave (index: number): void }
  }

  export interface WebSeedConn {
    httpRequest (pieceIndex: number, offset: number, length: number, cb: Callback<Uint8Array>): void
    /** Tells the torrent the web seed has piece `index` (WebTorrent does this 10 s after a failed request). */
    have (index: number): void
  }

  export interface TorrentFile {
    readonly path: string
    readonly length: number
    readonly offset: number
  }

  export interface Torrent extends Emitter {
    readonly infoHash: string
    readonly ready: boolean
    readonly destroyed: boolean
    readonly pieceLength: number
    readonly length: number
    readonly files: TorrentFile[]
    readonly wires: Wire[]
    readonly bitfield: { get (index: number): boolean }
    /** `tracker._trackers` is internal: bittorrent-tracker's per-URL trackers, each on a (shared) WebSocket. */
    readonly discovery: { tracker?: Emitter & { update (): void, _trackers?: Array<{ announceUrl: string, socket: { connected: boolean } | null }> } } | null
    select (start: number, end: number, priority?: number): void
    deselect (start: number, end: number): void
    critical (start: number, end: number): void
    addWebSeed (url: string): void
    destroy (): void
    /** Internal: connected peers by id; a web seed's id is its URL, `.conn` its connection and `.wire` the torrent's side of it. */
    readonly _peers: Map<string, { conn: WebSeedConn, wire?: Wire, type: string }>
    /** Internal: re-hashes the given pieces from the store and marks the good ones as verified. */
    _verifyPiecesUsingHash (pieces: number[], cb: (err: Error | null) => void): void
    /** Internal: forgets that piece `index` is held. */
    _markUnverified (index: number): void
    /**
     * Internal: a "stream" selection. Unlike `select`, these are counted: `_deselect(..., true)` removes one
     * matching selection and leaves pieces that another one still wants selected.
     */
    _select (start: number, end: number, priority: number, notify: undefined, isStreamSelection: true): void
    _deselect (start: number, end: number, isStreamSelection: true): void
    /** Internal: pieces being assembled (null once verified); `cancel` frees a block reserved from a wire. */
    readonly pieces: Array<{ cancel (block: number): void } | null>
    /** Internal: per piece, the wires (or null) holding a block reservation of it. */
    readonly _reservations: Array<Array<unknown> | undefined>
    /** Internal: sends `wire` the requests it should make now. */
    _updateWire (wire: unknown): void
    /** Internal: `_updateWire` for every wire, when the page is idle (at most 250 ms later). */
    _update (): void
  }

  export interface TorrentOptions {
    store?: ChunkStoreConstructor
    bitfield?: Uint8Array
    announce?: string[]
    deselect?: boolean
    storeCacheSlots?: number
    /** 'rarest' is not available: the downloader's build leaves out its rarity map (runtime/webtorrent-stubs/). */
    strategy?: 'sequential'
  }

  export interface ClientOptions {
    tracker?: false | { rtcConfig?: unknown, announce?: string[] }
    dht?: boolean
    lsd?: boolean
    utPex?: boolean
    webSeeds?: boolean
    utp?: boolean
    natUpnp?: boolean
    natPmp?: boolean
  }

  export default class WebTorrent implements Emitter {
    constructor (opts?: ClientOptions)
    static readonly WEBRTC_SUPPORT: boolean
    /** This client's peer id, hex: the id its peers see in the handshake. */
    readonly peerId: string
    readonly torrents: Torrent[]
    add (torrentId: Uint8Array, opts?: TorrentOptions, ontorrent?: (torrent: Torrent) => void): Torrent
    destroy (cb?: (err: Error | null) => void): void
    on (event: string, listener: (...args: any[]) => void): this
    once (event: string, listener: (...args: any[]) => void): this
    removeListener (event: string, listener: (...args: any[]) => void): this
  }
}
