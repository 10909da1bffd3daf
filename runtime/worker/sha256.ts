// Incremental SHA-256 (FIPS 180-4), for files streamed piece by piece: Web Crypto only digests a whole buffer,
// which would hold a large file in memory at once. Pure, tested in Node against node:crypto.

/** The first 64 primes. */
const PRIMES: number[] = []
for (let n = 2; PRIMES.length < 64; n++) if (PRIMES.every(p => n % p)) PRIMES.push(n)

// The constants are computed rather than listed (a table of them was ~250 B brotli of the worker). Doubles carry
// enough bits to get every one exact; a wrong bit in any would break every digest in test/runtime-range.test.ts.
/** §4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
const K = new Uint32Array(PRIMES.map(p => Math.cbrt(p) % 1 * 2 ** 32))
/** §5.3.3: the same for the square roots of the first 8 primes, the initial hash value. */
const H0 = new Uint32Array(PRIMES.slice(0, 8).map(p => Math.sqrt(p) % 1 * 2 ** 32))

export class Sha256 {
  readonly #h = H0.slice()
  readonly #w = new Uint32Array(64)
  readonly #block = new Uint8Array(64)
  #held = 0
  #length = 0

  /** Adds bytes; returns this. */
  update (bytes: Uint8Array): this {
    let i = 0
    this.#length += bytes.length
    if (this.#held) {
      i = Math.min(64 - this.#held, bytes.length)
      this.#block.set(bytes.subarray(0, i), this.#held)
      this.#held += i
      if (this.#held < 64) return this
      this.#compress(this.#block, 0)
      this.#held = 0
    }
    for (; i + 64 <= bytes.length; i += 64) this.#compress(bytes, i)
    this.#block.set(bytes.subarray(i), 0)
    this.#held = bytes.length - i
    return this
  }

  /** The digest in hex; the object must not be used afterwards. */
  hex (): string {
    const bits = this.#length * 8
    const tail = new Uint8Array((this.#held < 56 ? 64 : 128) - this.#held)
    tail[0] = 0x80
    const v = new DataView(tail.buffer)
    v.setUint32(tail.length - 8, Math.floor(bits / 0x100000000))
    v.setUint32(tail.length - 4, bits >>> 0)
    this.update(tail)
    let out = ''
    for (const word of this.#h) out += word.toString(16).padStart(8, '0')
    return out
  }

  #compress (b: Uint8Array, at: number): void {
    const w = this.#w
    for (let t = 0; t < 16; t++) {
      const j = at + t * 4
      w[t] = (b[j]! << 24) | (b[j + 1]! << 16) | (b[j + 2]! << 8) | b[j + 3]!
    }
    for (let t = 16; t < 64; t++) {
      const x = w[t - 15]!
      const y = w[t - 2]!
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)
      w[t] = (w[t - 16]! + s0 + w[t - 7]! + s1) | 0
    }
    const h = this.#h
    // Locals read one by one: destructuring the typed array ran its iterator per block, which made hashing 3-5×
    // slower (a media file's last bytes wait for the digest).
    let a = h[0]!
    let bb = h[1]!
    let c = h[2]!
    let d = h[3]!
    let e = h[4]!
    let f = h[5]!
    let g = h[6]!
    let hh = h[7]!
    for (let t = 0; t < 64; t++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))
      const t1 = (hh + S1 + ((e & f) ^ (~e & g)) + K[t]! + w[t]!) | 0
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))
      const t2 = (S0 + ((a & bb) ^ (a & c) ^ (bb & c))) | 0
      hh = g; g = f; f = e; e = (d + t1) | 0
      d = c; c = bb; bb = a; a = (t1 + t2) | 0
    }
    h[0]! += a; h[1]! += bb; h[2]! += c; h[3]! += d
    h[4]! += e; h[5]! += f; h[6]! += g; h[7]! += hh
  }
}
