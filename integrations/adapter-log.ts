// The words a build is summed up in, the same for the CLI and every host; each prints them its own way.
import type { BuildResult } from './builder/index.ts'
import { formatBytes, formatMs } from './format.ts'

/** The one line a build logs: what was packed, and what planktos added. */
export function summaryLine (result: BuildResult): string {
  const s = result.stats
  if (!result.manifest) return `kill-switch worker written; visitors' browsers will remove planktos on their next visit (${formatMs(s.ms)})`
  return `${s.files} files (${formatBytes(s.bytes)}) in ${s.shards} shard${s.shards === 1 ? '' : 's'}, ` +
    `${s.injected} of ${s.pages} pages tagged, +${formatBytes(s.overheadBytes)} of planktos files, in ${formatMs(s.ms)}`
}
