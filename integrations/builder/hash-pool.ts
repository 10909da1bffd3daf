// Spreads shard hashing over worker threads (one per core, at most two jobs' worth of memory each).
import { availableParallelism } from 'node:os'
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { BuildError } from './errors.ts'
import { hashShard, type HashJob, type HashResult } from './hash-shard.ts'

export interface HashPoolOptions {
  signal?: AbortSignal
  onBytes?: (n: number) => void
  /** Defaults to the number of cores. */
  threads?: number
}

// Below this much work, starting threads costs more than it saves.
const THREAD_THRESHOLD = 8 * 1024 * 1024

/** Hashes every job and returns results in job order; rejects with a BuildError naming the file at fault. */
export async function hashAll (jobs: HashJob[], root: string, options: HashPoolOptions = {}): Promise<HashResult[]> {
  const { signal, onBytes = () => {} } = options
  const totalBytes = jobs.reduce((sum, job) => sum + job.files.reduce((s, f) => s + f.size, 0), 0)
  const threads = Math.min(options.threads ?? availableParallelism(), jobs.length)
  const results: HashResult[] = new Array(jobs.length)

  if (threads <= 1 || totalBytes < THREAD_THRESHOLD) {
    for (const job of jobs) {
      signal?.throwIfAborted()
      try {
        results[job.id] = await hashShard(job, onBytes)
      } catch (err) {
        throw toBuildError(err as NodeJS.ErrnoException & { path?: string }, root)
      }
    }
    return results
  }

  // The worker file sits beside this one, as .ts in the source tree and .js once compiled.
  const workerUrl = new URL(`./hash-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url)
  // Largest shards first, so one big shard does not start last and leave a core idle.
  const queue = [...jobs].sort((a, b) => size(b) - size(a))
  const workers: Worker[] = []
  try {
    await new Promise<void>((resolve, reject) => {
      let running = 0
      let failed = false
      const fail = (err: Error): void => {
        if (failed) return
        failed = true
        reject(err)
      }
      const onAbort = (): void => fail(signal!.reason instanceof Error ? signal!.reason : new Error('aborted'))
      signal?.addEventListener('abort', onAbort, { once: true })
      const feed = (worker: Worker): void => {
        const job = queue.shift()
        if (!job) {
          if (--running === 0 && !failed) {
            signal?.removeEventListener('abort', onAbort)
            resolve()
          }
          return
        }
        worker.postMessage(job)
      }
      for (let i = 0; i < threads; i++) {
        const worker = new Worker(workerUrl)
        workers.push(worker)
        running++
        worker.on('message', (msg: { type: 'progress', bytes: number } | { type: 'done', result: HashResult } | { type: 'failed', failure: { error: { message: string, path: string, code?: string } } }) => {
          if (msg.type === 'progress') onBytes(msg.bytes)
          else if (msg.type === 'done') {
            results[msg.result.id] = { ...msg.result, pieces: new Uint8Array(msg.result.pieces) }
            feed(worker)
          } else {
            fail(toBuildError(Object.assign(new Error(msg.failure.error.message), msg.failure.error), root))
          }
        })
        worker.on('error', fail)
        feed(worker)
      }
    })
  } finally {
    await Promise.all(workers.map(w => w.terminate()))
  }
  return results
}

function size (job: HashJob): number {
  return job.files.reduce((s, f) => s + f.size, 0)
}

function toBuildError (err: NodeJS.ErrnoException & { path?: string }, root: string): BuildError {
  const where = err.path ? `${root}/${err.path}` : root
  if (err.code === 'ECHANGED') {
    return new BuildError(`"${where}" changed while planktos was reading it; run the build again once the generator has finished writing.`)
  }
  return BuildError.io(err, where, 'read')
}
