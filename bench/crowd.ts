// A crowd: N visitors who want the same large file, arriving all at once or one every 2 s, with the origin behind
// one shared slow link (link.ts), side by side with the same site without planktos. Each visitor is its own
// Chromium process: it opens the front page, waits until the worker controls it (planktos) and 4 s more, then
// fetches the file and hashes it. Measured: the origin's bytes of that file in copies of it, each visitor's time
// from its fetch to the last byte (in the page), and its SHA-256.
import { createCipheriv, createHash } from 'node:crypto'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { build } from '../integrations/builder/index.ts'
import type { BySource } from '../runtime/shared/messages.ts'
import { stats } from '../test/helpers/browsers.ts'
import { type LinkSpec } from './link.ts'
import { median, quiet, Visitor, type Variant } from './visitor.ts'
import { startOrigin } from './visitors-bench.ts'

export interface CrowdCase { n: number, mib: number, arrival: 'together' | 'staggered' }

export interface CrowdRun {
  variant: Variant
  /** Origin bytes of the file ÷ its size. */
  copies: number
  /** Per visitor, in arrival order: fetch to last byte (ms, this machine). */
  ms: number[]
  shaOk: boolean[]
  /** Per planktos visitor: its downloaders' bytes from the origin and from peers (planktos.stats()). */
  traffic?: Array<{ fromOrigin: number, fromPeers: number, uploaded: number }>
  /** Per planktos visitor: the worker's response bytes by source, and its verification failures. */
  worker?: Array<{ bytes: BySource, verifyFailures: number } | undefined>
}

export interface CrowdResult extends CrowdCase {
  plain: CrowdRun
  planktos: CrowdRun
  /** planktos ÷ plain: median completion, and the worst visitor's own ratio. */
  ratio: { median: number, slowest: number }
}

const FILE = 'files/big.bin'
const STAGGER_MS = 2000
/** What the issue's measurement waited after the worker took control: a reader glancing at the page. */
const READ_MS = 4000

/** Deterministic bytes (AES-CTR keystream). */
function bytesOf (size: number, seed: number): Buffer {
  const key = Buffer.alloc(16)
  key.writeUInt32BE(seed)
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size))
}

/** A site of a front page and one large download, plain and built with planktos (announcing to `tracker`). */
export async function crowdSites (work: string, mib: number, tracker: string): Promise<{ plain: string, planktos: string, sha256: string, size: number }> {
  const size = mib * 1024 * 1024
  const data = bytesOf(size, mib)
  const html = '<!doctype html><html><head><meta charset="utf-8"><title>Download</title></head><body><h1>Download</h1><a href="/files/big.bin">big.bin</a></body></html>\n'
  const dirs = { plain: join(work, `crowd-${mib}-plain`), planktos: join(work, `crowd-${mib}-planktos`) }
  for (const dir of Object.values(dirs)) {
    await rm(dir, { recursive: true, force: true })
    await mkdir(join(dir, 'files'), { recursive: true })
    await writeFile(join(dir, 'index.html'), html)
    await writeFile(join(dir, FILE), data)
  }
  const result = await build(dirs.planktos, { announce: [tracker], rtcConfig: { iceServers: [] } })
  if (!result.manifest) throw new Error(`bench: planktos built the crowd site without a manifest: ${result.warnings.join(' ')}`)
  return { ...dirs, sha256: createHash('sha256').update(data).digest('hex'), size }
}

/** One variant of one case: N browsers, each fetching the file once. */
async function crowdRun (variant: Variant, dir: string, c: CrowdCase, size: number, sha256: string, link: LinkSpec | undefined): Promise<CrowdRun> {
  const origin = await startOrigin(dir, link)
  const visitors: Visitor[] = []
  try {
    for (let i = 0; i < c.n; i++) {
      const v = await Visitor.start(variant)
      visitors.push(v)
      await v.open(origin.url, 60_000)
      await v.settle(false)
    }
    await new Promise(resolve => setTimeout(resolve, READ_MS))
    const mark = origin.log.length
    const results = await Promise.all(visitors.map(async (v, i) => {
      if (c.arrival === 'staggered') await new Promise(resolve => setTimeout(resolve, i * STAGGER_MS))
      // A visitor whose fetch fails is counted (wrong bytes, no time) instead of ending the run: that is a finding.
      return v.page.evaluate(async (url) => {
        const began = performance.now()
        try {
          const res = await fetch(url)
          const body = await res.arrayBuffer()
          const ms = performance.now() - began
          const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', body))
          return { ms, sha: [...digest].map(b => b.toString(16).padStart(2, '0')).join('') }
        } catch (err) {
          return { ms: NaN, sha: '', error: `${String(err)} after ${Math.round(performance.now() - began)} ms` }
        }
      }, origin.url + FILE)
    }))
    for (const [i, r] of results.entries()) if ('error' in r) console.log(`  ${variant}: visitor ${i + 1}: ${r.error}`)
    // Each planktos visitor's counters, read once: its downloaders' traffic, and what its worker answered from where.
    const counters = variant === 'planktos' ? await Promise.all(visitors.map(v => stats(v.page))) : undefined
    const traffic = counters?.map(({ downloader: d }) => ({ fromOrigin: d?.fromOrigin ?? 0, fromPeers: d?.fromPeers ?? 0, uploaded: d?.uploaded ?? 0 }))
    const worker = counters?.map(({ worker: w }) => w && { bytes: w.bytes, verifyFailures: w.verifyFailures })
    // The origin logs a response once it has ended, and the link's window keeps one nobody reads open: the visitors
    // leave first, so every response is counted (as seek.ts does).
    for (const v of visitors.splice(0)) await v.close().catch(() => {})
    await quiet(origin.log)
    const sent = origin.log.slice(mark).filter(e => e.url === '/' + FILE).reduce((n, e) => n + e.bytes, 0)
    return { variant, copies: +(sent / size).toFixed(2), ms: results.map(r => Math.round(r.ms)), shaOk: results.map(r => r.sha === sha256), ...traffic && { traffic }, ...worker && { worker } }
  } finally {
    for (const v of visitors) await v.close().catch(() => {})
    await origin.close()
  }
}

/** One case, plain then planktos, each with its own origin and browsers. */
export async function crowdCase (c: CrowdCase, site: { plain: string, planktos: string, sha256: string, size: number }, link: LinkSpec | undefined, log: (line: string) => void): Promise<CrowdResult> {
  const plain = await crowdRun('plain', site.plain, c, site.size, site.sha256, link)
  log(`  plain: ${plain.copies} copies, median ${median(plain.ms)} ms, slowest ${Math.max(...plain.ms)} ms (abs.)`)
  const planktos = await crowdRun('planktos', site.planktos, c, site.size, site.sha256, link)
  log(`  planktos: ${planktos.copies} copies, median ${median(planktos.ms)} ms, slowest ${Math.max(...planktos.ms)} ms (abs.); SHA-256 right for ${planktos.shaOk.filter(Boolean).length}/${c.n}`)
  const slowest = Math.max(...planktos.ms.map((ms, i) => ms / plain.ms[i]!))
  return { ...c, plain, planktos, ratio: { median: +(median(planktos.ms) / median(plain.ms)).toFixed(2), slowest: +slowest.toFixed(2) } }
}

/**
 * The cases of a plan: quick is one size and one crowd, both arrivals; full is the issue's grid. Each size starts
 * with a visitor alone (N = 1): whatever the engine does to share the origin's bytes, that visitor must not wait
 * longer than without planktos.
 */
export function crowdCases (full: boolean): CrowdCase[] {
  const grid = full ? { n: [5, 10], mib: [16, 128] } : { n: [5], mib: [16] }
  return grid.mib.flatMap(mib => [{ n: 1, mib, arrival: 'together' as const }, ...grid.n.flatMap(n => (['together', 'staggered'] as const).map(arrival => ({ n, mib, arrival })))])
}

/** A markdown table of the results. */
export function crowdTable (results: CrowdResult[], link: LinkSpec): string {
  const rows = results.map(r => `| ${r.n} | ${r.mib} MiB | ${r.arrival} | ${r.plain.copies} | ${r.planktos.copies} | ${median(r.plain.ms)} | ${median(r.planktos.ms)} | ${r.ratio.median}× | ${r.ratio.slowest}× | ${r.planktos.shaOk.every(Boolean) && r.plain.shaOk.every(Boolean) ? 'all right' : `WRONG: ${r.plain.shaOk.filter(Boolean).length}/${r.n} plain, ${r.planktos.shaOk.filter(Boolean).length}/${r.n} planktos right`} |`)
  return [
    `Origin behind one shared ${link.mbit} Mbit/s link (${link.rttMs} ms RTT). Goals: origin ≤ 1.3 copies, median ≤ 0.35×, slowest visitor ≤ 1.0×.`,
    '',
    '| N | file | arrival | origin copies, plain | origin copies, planktos | median ms, plain (abs.) | median ms, planktos (abs.) | median ratio | slowest visitor ratio | SHA-256 |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows
  ].join('\n')
}
