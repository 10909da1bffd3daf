// planktos-web/astro: the Astro integration. Turns Astro's config into builder options, runs the shared
// builder once every other integration is done with the output, and logs through Astro's logger.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { fileURLToPath } from 'node:url'
import type { AstroConfig, AstroIntegration } from 'astro'
import { summaryLine } from './adapter-log.ts'
import { build } from './builder/index.ts'
import { devWorker } from './dev-worker.ts'
import { WORKER_FILE } from '../runtime/shared/manifest.ts'
import { normalizeOptions, type NormalizedOptions, type Options } from './options.ts'

export type { Options } from './options.ts'

const NAME = 'planktos-web'

/** `integrations: [planktos(options)]`: the CLI's options, less `base`, which is Astro's own. */
export default function planktos (options: Options = {}): AstroIntegration {
  // Checked here, so a bad option stops `astro build` and `astro dev` alike, with its name in the message.
  const own = normalizeOptions(options, { adapter: 'astro' })
  let normalized = own

  // Astro runs a hook in the order of `integrations`, and Starlight (Pagefind), sitemap and adapters write
  // or move files in their own astro:build:done. So the build runs from a second integration, appended
  // once the list is final: it sees the output as it will be deployed, wherever the user listed planktos.
  // (Moving planktos itself within the list during astro:config:setup upsets Astro's loop over it: in
  // Astro 7.3 that dropped the next integration and ran planktos twice.)
  const packer: AstroIntegration = {
    name: NAME,
    hooks: {
      'astro:build:done': async ({ dir, logger }) => {
        const result = await build(fileURLToPath(dir), {}, { normalized })
        for (const warning of result.warnings) logger.warn(warning)
        logger.info(summaryLine(result))
      }
    }
  }

  return {
    name: NAME,
    hooks: {
      'astro:config:done': ({ config }) => {
        normalized = fromAstroConfig(own, config)
        if (!config.integrations.includes(packer)) config.integrations.push(packer)
      },
      // `astro dev` packs nothing, but a browser that previewed a planktos build on this port still runs its worker,
      // which would answer pages from its store: the dev server answers the worker's URL with a kill switch. A Vite
      // plugin with enforce 'pre', since middleware added in astro:server:setup comes after Astro's own 404.
      'astro:config:setup': ({ updateConfig }) => {
        updateConfig({ vite: { plugins: [{ name: 'planktos-web:dev-worker', enforce: 'pre', configureServer: serveDevWorker }] } })
      }
    }
  }
}

/** Answers `<base>planktos-sw.js` on the dev server with the kill switch. */
function serveDevWorker (server: { config: { base: string }, middlewares: { use (fn: (req: IncomingMessage, res: ServerResponse, next: () => void) => void): void } }): void {
  const base = normalizeOptions({ base: server.config.base }).base
  const worker = devWorker(base)
  worker.catch(() => {})
  server.middlewares.use((req, res, next) => {
    if (req.url?.split('?')[0] !== base + WORKER_FILE) return next()
    worker.then(bytes => {
      res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache' })
      res.end(bytes)
    }, next)
  })
}

/**
 * The builder's options for this project: the user's, with `base` from Astro, `site` from Astro unless given, and
 * clean URLs when Astro writes pages as `about.html` (`build.format` "file" or "preserve"), which it links as `/about`.
 * (`trailingSlash: 'never'` with folder pages needs nothing: the worker redirects `/about` to `/about/`, as hosts do.)
 */
export function fromAstroConfig (own: NormalizedOptions, config: Pick<AstroConfig, 'base' | 'site'> & { build: Pick<AstroConfig['build'], 'format'> }): NormalizedOptions {
  return {
    ...own,
    base: normalizeOptions({ base: config.base }).base,
    site: own.site ?? (config.site ? normalizeOptions({ site: config.site }).site : null),
    cleanUrls: own.cleanUrls || config.build.format !== 'directory'
  }
}
