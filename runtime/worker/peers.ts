// Site files from peers, through an open page that runs the downloader (workers have no WebRTC).
// The exchange is request -> progress* -> ready -> (pull -> chunk)*, on a MessageChannel; every wait has a
// deadline, so a tab that closes or a downloader that crashes only costs that deadline.
import { sha256 } from '../shared/hash.ts'
import type { FileRef, Message } from '../shared/messages.ts'
import { PortReader } from '../shared/port.ts'
import { pageForPeers } from './pages.ts'
import { scope, type WorkerClient } from './scope.ts'
import type { Found } from './site.ts'
import { count } from './stats.ts'

/** Longest silence from the page before the worker gives up on it (the origin hedge starts much earlier). */
export const stallAfter = (peerTimeout: number): number => Math.max(15_000, 2 * peerTimeout)
/** How often the worker checks, while the page is silent, that the page still exists. */
const CHECK_EVERY = 500

/**
 * The page's next message, or undefined after `ms` of silence or as soon as the page is gone: a closing tab may not
 * get to say so, and a crashed one cannot.
 */
async function nextFrom (reader: PortReader, page: WorkerClient, ms: number): Promise<Message | undefined> {
  const deadline = Date.now() + ms
  for (;;) {
    const m = await reader.next(Math.max(0, Math.min(CHECK_EVERY, deadline - Date.now())))
    if (m) return m
    if (Date.now() >= deadline || !reader.open || !await scope.clients.get(page.id)) return undefined
  }
}

/** What a page needs to find and check a file. */
export const fileRef = ({ entry, shard }: Found): FileRef =>
  ({ path: entry.path, sha256: entry.sha256, size: entry.size, infoHash: shard.infoHash })

/**
 * The file's bytes from peers, verified against the manifest, or undefined when peers cannot supply them.
 * `deps` are fetched along (a navigation's subresources). `onProgress` is called whenever the page reports
 * progress; `signal` cancels (the origin won).
 */
export async function fromPeers (found: Found, deps: FileRef[], preferred: string, peerTimeout: number, onProgress: () => void, signal: AbortSignal): Promise<Uint8Array | undefined> {
  const page = await pageForPeers(preferred, found.shard.infoHash)
  if (!page || signal.aborted) return undefined
  const STALL = stallAfter(peerTimeout)
  const { entry } = found
  const channel = new MessageChannel()
  const reader = new PortReader(channel.port1)
  const cancel = (): void => {
    reader.post({ type: 'cancel' })
    reader.close()
  }
  signal.addEventListener('abort', cancel, { once: true })
  try {
    page.postMessage({ type: 'peer-request', file: fileRef(found), deps } satisfies Message, [channel.port2])
    for (;;) {
      const m = await nextFrom(reader, page, STALL)
      if (!m || signal.aborted) return undefined
      if (m.type === 'ready') break
      if (m.type !== 'progress') return undefined
      onProgress()
    }
    const chunks: Uint8Array[] = []
    let received = 0
    for (;;) {
      reader.post({ type: 'pull' })
      const m = await nextFrom(reader, page, STALL)
      if (!m || m.type !== 'chunk' || signal.aborted) return undefined
      chunks.push(new Uint8Array(m.bytes))
      received += m.bytes.byteLength
      if (received > entry.size) break
      onProgress()
      if (m.last) break
    }
    const bytes = concat(chunks, received)
    // The page checked its pieces already; this check is the worker's own, and cheap next to the transfer.
    if (bytes.length !== entry.size || await sha256(bytes) !== entry.sha256) {
      count('verifyFailures')
      return undefined
    }
    return bytes
  } finally {
    signal.removeEventListener('abort', cancel)
    reader.close()
  }
}

function concat (chunks: Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!
  const out = new Uint8Array(length)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.length
  }
  return out
}
