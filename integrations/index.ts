// planktos-web: the builder API. Node only.
export { build, BuildError } from './builder/index.ts'
export type { BuildResult, BuildStats, BuildHooks, BuildProgress, ShardSummary } from './builder/index.ts'
export { normalizeOptions, defaults, parseBytes, OptionError } from './options.ts'
export type { Options, NormalizedOptions } from './options.ts'
export type { Manifest, ShardRef, ShardPart, FileEntry, RuntimeSettings } from '../runtime/shared/manifest.ts'
