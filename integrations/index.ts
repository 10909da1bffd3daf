// planktos-web: the builder API. Node only.
// The default export is the Astro integration: `npx astro add planktos-web` writes `import x from 'planktos-web'`.
export { default } from './astro.ts'
export { build, BuildError } from './builder/index.ts'
export type { BuildResult, BuildStats, BuildHooks, BuildProgress, ShardSummary } from './builder/index.ts'
export { normalizeOptions, defaults, parseBytes, OptionError } from './options.ts'
export type { Options, NormalizedOptions } from './options.ts'
export type { Manifest, ShardRef, ShardPart, FileEntry, RuntimeSettings } from '../runtime/shared/manifest.ts'
