// Types for the untyped packages the Node side imports.

declare module 'bencode' {
  const bencode: {
    encode (value: unknown): Uint8Array
    decode (data: Uint8Array, encoding?: string): any
    byteLength (value: unknown): number
  }
  export default bencode
}

declare module 'create-torrent' {
  function createTorrent (input: unknown, opts: Record<string, unknown>, cb: (err: Error | null, torrent: Buffer) => void): void
  export default createTorrent
}
