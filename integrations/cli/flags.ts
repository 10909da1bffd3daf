// Turns `planktos build` flags into an Options object; all checking of values is normalizeOptions()'s job.
import type { Options } from '../options.ts'

/** parseArgs option specs for the flags of the options table. */
export const optionFlags = {
  base: { type: 'string' },
  site: { type: 'string' },
  announce: { type: 'string', multiple: true },
  'trackers-per-shard': { type: 'string' },
  'rtc-config': { type: 'string' },
  include: { type: 'string', multiple: true },
  exclude: { type: 'string', multiple: true },
  'shard-size': { type: 'string' },
  'peer-timeout': { type: 'string' },
  prefetch: { type: 'string' },
  'prefetch-budget': { type: 'string' },
  'max-storage': { type: 'string' },
  update: { type: 'string' },
  p2p: { type: 'string' },
  'ignore-param': { type: 'string', multiple: true },
  'clean-urls': { type: 'boolean' },
  'kill-switch': { type: 'boolean' },
  'no-inject': { type: 'boolean' },
  debug: { type: 'boolean' },
  persist: { type: 'boolean' }
} as const

export class FlagError extends Error {
  override name = 'FlagError'
}

type Values = { [K in keyof typeof optionFlags]?: (typeof optionFlags)[K] extends { multiple: true } ? string[] : (typeof optionFlags)[K]['type'] extends 'boolean' ? boolean : string }

/** Maps parsed flag values onto Options (strings stay strings where normalizeOptions parses them). */
export function flagsToOptions (values: Values): Options {
  const options: Options = {}
  if (values.base !== undefined) options.base = values.base
  if (values.site !== undefined) options.site = values.site
  if (values.announce) options.announce = values.announce
  if (values['trackers-per-shard'] !== undefined) options.trackersPerShard = Number(values['trackers-per-shard'])
  if (values['rtc-config'] !== undefined) {
    try {
      options.rtcConfig = JSON.parse(values['rtc-config'])
    } catch {
      throw new FlagError(`--rtc-config must be JSON, such as '{"iceServers":[{"urls":"stun:stun.example.com:3478"}]}'.`)
    }
  }
  if (values.include) options.include = values.include
  if (values.exclude) options.exclude = values.exclude
  if (values['shard-size'] !== undefined) options.shardSize = values['shard-size']
  if (values['peer-timeout'] !== undefined) {
    const ms = Number(values['peer-timeout'])
    if (!Number.isFinite(ms)) throw new FlagError(`--peer-timeout must be a number of milliseconds, such as 2000; got "${values['peer-timeout']}".`)
    options.peerTimeout = ms
  }
  if (values.prefetch !== undefined) options.prefetch = values.prefetch as Options['prefetch']
  if (values['prefetch-budget'] !== undefined) options.prefetchBudget = values['prefetch-budget']
  if (values['max-storage'] !== undefined) options.maxStorage = values['max-storage']
  if (values.update !== undefined) options.update = values.update as Options['update']
  if (values.p2p !== undefined) options.p2p = values.p2p as Options['p2p']
  if (values['ignore-param']) options.ignoreSearchParams = values['ignore-param']
  if (values['clean-urls']) options.cleanUrls = true
  if (values['kill-switch']) options.killSwitch = true
  if (values['no-inject']) options.inject = false
  if (values.debug) options.debug = true
  if (values.persist) options.persist = true
  return options
}
