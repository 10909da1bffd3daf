// Spreads shard hashing over the cores: this thread hashes too, and one worker thread per other core joins in.
// (A worker thread costs ~30 MiB of RSS for its own V8 heap, so the calling thread works instead of waiting.)
import { availableParallelism } from 'node:os'
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { BuildError, quote } from './errors.ts'
import { hashShard, type HashJob, type HashResult } from './hash-shard.ts'

export interface HashPoolOptions {
  signal?: AbortSignal
  onBytes?: (n: number) => void
  /** Threads in all, this one included; defaults to the number of cores. */
  threads?: number
}

type WorkerMessage =
  | { type: 'progress', bytes: number }
  | { type: 'done', result: HashResult }
  | { type: 'failed', failure: { error: { message: string, path: string, code?: string } } }

// Below this much work, starting a thread costs more than it saves.
const THREAD_THRESHOLD = 8 * 1024 * 1024

/** Hashes every job and returns results in job order; rejects with a BuildError naming the file at fault. */
export async function hashAll (jobs: HashJob[], root: string, options: HashPoolOptions = {}): Promise<HashResult[]> {
  const { signal, onBytes = () => {} } = options
  const totalBytes = jobs.reduce((sum, job) => sum + size(job), 0)
  const threads = totalBytes < THREAD_THRESHOLD ? 1 : Math.min(options.threads ?? availableParallelism(), jobs.length)
  const results: HashResult[] = new Array(jobs.length)
  // Largest shards first, so one big shard does not start last and leave a core idle.
  const queue = [...jobs].sort((a, b) => size(b) - size(a))
  const workers: Worker[] = []
  let failure: Error | undefined

  const local = async (): Promise<void> => {
    for (let job = queue.shift(); job && !failure; job = queue.shift()) {
      signal?.throwIfAborted()
      results[job.id] = await hashShard(job, onBytes, signal)
    }
  }

  // The worker file sits beside this one, as .ts in the source tree and .js once compiled.
  const workerUrl = new URL(`./hash-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url)
  const remote = (): Promise<void> => new Promise((resolve, reject) => {
    // The worker allocates one 1 MiB buffer and small digests: a small heap keeps its RSS down.
    const worker = new Worker(workerUrl, { resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 64 } })
    workers.push(worker)
    const feed = (): void => {
      const job = failure || signal?.aborted ? undefined : queue.shift()
      if (job) worker.postMessage(job)
      else resolve()
    }
    worker.on('message', (msg: WorkerMessage) => {
      if (msg.type === 'progress') onBytes(msg.bytes)
      else if (msg.type === 'done') {
        results[msg.result.id] = { ...msg.result, pieces: new Uint8Array(msg.result.pieces) }
        feed()
      } else reject(Object.assign(new Error(msg.failure.error.message), msg.failure.error))
    })
    worker.on('error', reject)
    // A worker deep in a large file would otherwise finish it before anyone noticed the abort.
    signal?.addEventListener('abort', () => reject(signal.reason), { once: true })
    feed()
  })

  try {
    // allSettled, then the first failure: every thread stops taking jobs once one has failed.
    const outcomes = await Promise.allSettled([local(), ...Array.from({ length: threads - 1 }, remote)].map(p => p.catch(err => {
      failure ??= err
      throw err
    })))
    const rejected = outcomes.find(o => o.status === 'rejected')
    if (rejected) throw (rejected as PromiseRejectedResult).reason
    signal?.throwIfAborted()
  } catch (err) {
    if (signal?.aborted) throw signal.reason
    throw toBuildError(err as NodeJS.ErrnoException & { path?: string }, root)
  } finally {
    await Promise.all(workers.map(w => w.terminate()))
  }
  return results
}

function size (job: HashJob): number {
  return job.files.reduce((s, f) => s + f.size, 0)
}

function toBuildError (err: NodeJS.ErrnoException & { path?: string }, root: string): BuildError {
  if (err instanceof BuildError) return err
  const where = err.path ? `${root}/${err.path}` : root
  if (err.code === 'ECHANGED') {
    return new BuildError(`${quote(where)} changed while planktos was reading it; run the build again once the generator has finished writing.`)
  }
  return BuildError.io(err, where, 'read')
}
