// SHA-256 in hex through Web Crypto: the digest the manifest names for every file.

/** Hex SHA-256 of `bytes`. */
export async function sha256 (bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>))
  let hex = ''
  for (const b of digest) hex += b.toString(16).padStart(2, '0')
  return hex
}
