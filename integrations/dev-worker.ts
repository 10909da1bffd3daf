// The developer's loop: during a host's dev server or watch build planktos packs nothing, but a browser that
// previewed a planktos build on the same port (`planktos serve` and `eleventy --serve` both use 8080, `astro preview`
// and `astro dev` 4321) still runs that build's worker, which would answer every page from its store. A 404 for the
// worker's script does not remove a worker, so the adapters put a kill switch at its URL: the browser's next
// update check installs it, it deletes planktos' storage, unregisters, and reloads the pages the old worker answered.
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PLANKTOS_DIR, WORKER_FILE } from '../runtime/shared/manifest.ts'
import { readRuntime, workerSource } from './builder/runtime-files.ts'

/** The kill-switch worker a dev server answers `<base>planktos-sw.js` with. */
export async function devWorker (base: string): Promise<Uint8Array> {
  const runtime = await readRuntime()
  return workerSource(runtime.worker, { buildId: 'dev', base, killSwitch: true, reload: true })
}

/** For hosts that serve their output folder in dev (Eleventy): the stale planktos files go, the kill switch comes. */
export async function stepAsideInOutput (dir: string, base: string): Promise<void> {
  await rm(join(dir, PLANKTOS_DIR), { recursive: true, force: true })
  await writeFile(join(dir, WORKER_FILE), await devWorker(base))
}
