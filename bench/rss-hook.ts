// Loaded with `node --import` into a measured process: reports its peak RSS (all threads) when it exits.
import { writeSync } from 'node:fs'

process.on('exit', () => {
  writeSync(2, `\n@@planktos-bench maxrss-kib=${process.resourceUsage().maxRSS}\n`)
})
