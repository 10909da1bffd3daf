// A 24-bit BMP: an image every browser decodes, made without a codec (the bench's generated sites use them).

/** A `side` × `side` BMP whose pixel bytes `pixels(n)` gives (n bytes, rows padded to 4). */
export function bmp (side: number, pixels: (bytes: number) => Buffer): Buffer {
  const row = Math.ceil(side * 3 / 4) * 4
  const header = Buffer.alloc(54)
  header.write('BM', 0, 'latin1')
  header.writeUInt32LE(54 + row * side, 2)
  header.writeUInt32LE(54, 10)
  header.writeUInt32LE(40, 14)
  header.writeInt32LE(side, 18)
  header.writeInt32LE(side, 22)
  header.writeUInt16LE(1, 26)
  header.writeUInt16LE(24, 28)
  header.writeUInt32LE(row * side, 34)
  return Buffer.concat([header, pixels(row * side)])
}
