// Turns `planktos build` flags into an Options object; all checking of values is normalizeOptions()'s job.
// The flags are the options table's (integrations/options-table.ts).
import type { ParseArgsOptionsConfig } from 'node:util'
import { OPTION_TABLE } from '../options-table.ts'
import type { Options } from '../options.ts'

/** parseArgs option specs for the flags of the options table. */
export const optionFlags: ParseArgsOptionsConfig = Object.fromEntries(OPTION_TABLE.filter(row => row.flag).map(row => [
  row.flag!.slice(2),
  row.arg ? { type: 'string', ...(row.repeatable ? { multiple: true } : {}) } : { type: 'boolean' }
]))

/** The flag for each option, for messages that name an option (`shardSize` → `--shard-size`). */
export const FLAG_NAMES: Record<string, string> = Object.fromEntries(OPTION_TABLE.filter(row => row.flag).map(row => [row.option, row.flag!]))

export class FlagError extends Error {
  override name = 'FlagError'
}

/** Maps parsed flag values onto Options (strings stay strings where normalizeOptions parses them). */
export function flagsToOptions (values: Record<string, string | boolean | Array<string | boolean> | undefined>): Options {
  const options: Record<string, unknown> = {}
  for (const row of OPTION_TABLE) {
    const value = row.flag ? values[row.flag.slice(2)] : undefined
    if (value === undefined || value === false) continue
    // A boolean flag sets its option; `--no-inject` clears one.
    if (!row.arg) options[row.option] = !row.flag!.startsWith('--no-')
    else if (row.option === 'rtcConfig') options[row.option] = json(value as string)
    else if (row.option === 'peerTimeout') options[row.option] = milliseconds(value as string)
    // A number, so normalizeOptions() names the flag's value when it is not a whole number of 2 or more.
    else if (row.option === 'trackersPerShard') options[row.option] = Number(value)
    else options[row.option] = value
  }
  return options as Options
}

function json (value: string): unknown {
  try {
    return JSON.parse(value)
  } catch {
    throw new FlagError(`--rtc-config must be JSON, such as '{"iceServers":[{"urls":"stun:stun.example.com:3478"}]}'.`)
  }
}

function milliseconds (value: string): number {
  const ms = Number(value)
  if (!Number.isFinite(ms)) throw new FlagError(`--peer-timeout must be a number of milliseconds, such as 2000; got "${value}".`)
  return ms
}
