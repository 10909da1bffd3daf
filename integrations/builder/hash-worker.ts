// Worker-thread entry: hashes the shards the pool sends, so both cores hash at once.
import { parentPort } from 'node:worker_threads'
import { hashShard, type HashJob } from './hash-shard.ts'

const PROGRESS_EVERY = 8 * 1024 * 1024

parentPort!.on('message', (job: HashJob) => {
  let pending = 0
  const onBytes = (n: number): void => {
    pending += n
    if (pending >= PROGRESS_EVERY) {
      parentPort!.postMessage({ type: 'progress', bytes: pending })
      pending = 0
    }
  }
  hashShard(job, onBytes).then(
    result => {
      if (pending) parentPort!.postMessage({ type: 'progress', bytes: pending })
      // Piece lists are small (20 bytes a piece); copying beats transferring a slice of Node's shared buffer pool.
      parentPort!.postMessage({ type: 'done', result })
    },
    (err: NodeJS.ErrnoException & { path?: string }) => {
      parentPort!.postMessage({ type: 'failed', failure: { id: job.id, error: { message: err.message, path: err.path ?? '', code: err.code } } })
    }
  )
})
