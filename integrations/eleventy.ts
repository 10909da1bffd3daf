// planktos-web/eleventy: the Eleventy plugin. Turns Eleventy's config into builder options, runs the shared
// builder in eleventy.after on the output folder, and logs one line through Eleventy's logger.
import { summaryLine } from './adapter-log.ts'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { build, type BuildResult } from './builder/index.ts'
import { packageRoot } from './builder/runtime-files.ts'
import { stepAsideInOutput } from './dev-worker.ts'
import { normalizeOptions, type NormalizedOptions, type Options } from './options.ts'

export type { Options } from './options.ts'

const PREFIX = '[planktos]'

/** The part of Eleventy's `eleventy.after` event argument the plugin reads. */
export interface AfterEvent {
  directories: { output: string }
  runMode: 'build' | 'watch' | 'serve'
  outputMode: 'fs' | 'json' | 'ndjson'
}

interface Logger {
  logWithOptions (options: { message: string, prefix?: string, type?: 'log' | 'warn' | 'error', color?: string, force?: boolean }): void
}

/** The part of Eleventy's `eleventyConfig` the plugin uses. */
export interface EleventyConfig {
  versionCheck?: (range: string) => void
  on (event: 'eleventy.after', listener: (event: AfterEvent) => unknown): unknown
  pathPrefix?: string
  logger?: Logger
}

/** `eleventyConfig.addPlugin(planktos, options)`: the CLI's options, less `base`, which is Eleventy's `pathPrefix`. */
export default function planktos (eleventyConfig: EleventyConfig, options: Options = {}): void {
  if (typeof eleventyConfig.versionCheck !== 'function') throw new Error('planktos-web/eleventy needs Eleventy 3 or newer; run "npm install @11ty/eleventy@3".')
  // The supported versions are declared where Eleventy's own plugins declare them: package.json's 11ty.compatibility.
  eleventyConfig.versionCheck(JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8'))['11ty'].compatibility)
  // Checked here, so a bad option stops the build before Eleventy writes anything, with its name in the message.
  const own = normalizeOptions(options, { adapter: 'eleventy' })

  let devWorkerWritten = false
  eleventyConfig.on('eleventy.after', async ({ directories, runMode, outputMode }) => {
    // json/ndjson output writes no files.
    if (outputMode !== 'fs') return
    // Serve and watch builds are not packed unless asked for; but the output folder may still hold an earlier
    // planktos build, whose worker a browser on this port would keep serving pages from: a kill switch replaces it.
    if (runMode !== 'build' && !own.dev) {
      if (!devWorkerWritten) await stepAsideInOutput(directories.output, fromEleventyConfig(own, eleventyConfig).base)
      devWorkerWritten = true
      return
    }
    // pathPrefix is read at build time, once the config file, its exported config and --pathprefix are merged.
    const result = await build(directories.output, {}, { normalized: fromEleventyConfig(own, eleventyConfig) })
    report(eleventyConfig.logger, result)
  })
}

// A config that adds the plugin twice (a theme and the site) builds once: the first addPlugin wins.
planktos.eleventyPluginOptions = { unique: true }

// So a CommonJS config can write `eleventyConfig.addPlugin(require('planktos-web/eleventy'))`.
export { planktos as 'module.exports' }

/** The builder's options for this project: the user's, with `base` from Eleventy's `pathPrefix`. */
export function fromEleventyConfig (own: NormalizedOptions, eleventyConfig: Pick<EleventyConfig, 'pathPrefix'>): NormalizedOptions {
  return { ...own, base: normalizeOptions({ base: eleventyConfig.pathPrefix ?? '/' }).base }
}

function report (logger: Logger | undefined, result: BuildResult): void {
  const log = (message: string, type: 'log' | 'warn'): void => {
    if (logger) logger.logWithOptions({ message, prefix: PREFIX, type, ...(type === 'warn' ? { color: 'yellow', force: true } : {}) })
    else console[type](`${PREFIX} ${message}`)
  }
  for (const warning of result.warnings) log(warning, 'warn')
  log(summaryLine(result), 'log')
}
