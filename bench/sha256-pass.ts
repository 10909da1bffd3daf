// The floor for a build: read every file of a folder once and SHA-256 it, on one thread.
import { createHash } from 'node:crypto'
import { open, readdir } from 'node:fs/promises'
import { join } from 'node:path'

const buffer = Buffer.allocUnsafe(1024 * 1024)
let total = 0
async function visit (dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const abs = join(dir, entry.name)
    if (entry.isDirectory()) { await visit(abs); continue }
    const hash = createHash('sha256')
    const handle = await open(abs)
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length)
      if (!bytesRead) break
      hash.update(buffer.subarray(0, bytesRead))
      total += bytesRead
    }
    await handle.close()
    hash.digest()
  }
}
await visit(process.argv[2]!)
console.log(`hashed ${total} bytes`)
