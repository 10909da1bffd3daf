// A media element in the crowd seeks to the middle, then plays (issue 11's video goal): N visitors, each its own
// Chromium process, open the front page, then the media page (the worker controls it with planktos), wait until
// their element has its metadata and a reader's moment more, then all at once seek to the middle of a large file and
// play. Measured, side by side with the same site without planktos behind the same shared link: each visitor's time
// from the seek to its element's `playing` event (its first frame), whether it played, and the file's bytes the
// origin sent over the whole visit. The link (link.ts) holds at most a window's bytes of each connection (as TCP
// does), so a response nobody reads (the element's first, once it paused or sought; the worker's download ahead of
// its reader) neither takes the link from the seek's range nor counts as sent in full. Until 2026-12-07 it had no
// window, and such a response queued the whole file. The file is WAV noise in an <audio> (this machine has no
// video encoder; a media element's Range requests are the same for audio and video).
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { build } from '../integrations/builder/index.ts'
import { silentWav } from '../sites/shared/make-media.ts'
import { type LinkSpec } from './link.ts'
import { random } from './median-site.ts'
import { median, quiet, Visitor, type Variant } from './visitor.ts'
import { startOrigin } from './visitors-bench.ts'

const FILE = 'media/long.wav'
/** 64 MiB of 16-bit stereo at 44.1 kHz: about 6 minutes, so its middle is 32 MiB in. */
const BYTES = 64 * 1024 * 1024
const READ_MS = 4000

export interface SeekRun {
  variant: Variant
  /** Per visitor: from the seek to `playing` (ms), or NaN when it did not play; and why. */
  ms: number[]
  problems: string[]
  /** The file's bytes the origin sent over the whole visit (first page to every element playing), ÷ the file's size. */
  copies: number
  /** The same, from the seek on. */
  afterSeek: number
}

export interface SeekResult { n: number, mib: number, plain: SeekRun, planktos: SeekRun, ratio: { median: number, slowest: number } }

/** The media site, plain and built with planktos (announcing to `tracker`). */
export async function seekSites (work: string, tracker: string): Promise<{ plain: string, planktos: string }> {
  const clip = silentWav(BYTES - 44)
  const next = random(11)
  for (let i = 44; i + 4 <= clip.length; i += 4) clip.writeUInt32LE((next() * 2 ** 32) >>> 0, i)
  const page = (title: string, body: string): string =>
    `<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><title>${title}</title></head>\n<body>\n<h1>${title}</h1>\n${body}\n</body>\n</html>\n`
  const dirs = { plain: join(work, 'seek-plain'), planktos: join(work, 'seek-planktos') }
  for (const dir of Object.values(dirs)) {
    await rm(dir, { recursive: true, force: true })
    await mkdir(join(dir, 'media'), { recursive: true })
    await mkdir(join(dir, 'watch'), { recursive: true })
    await writeFile(join(dir, FILE), clip)
    await writeFile(join(dir, 'index.html'), page('Front page', '<p><a href="/watch/">watch</a></p>'))
    await writeFile(join(dir, 'watch/index.html'), page('Media page', `<audio src="/${FILE}" preload="metadata" controls></audio>`))
  }
  const result = await build(dirs.planktos, { announce: [tracker], rtcConfig: { iceServers: [] } })
  if (!result.manifest) throw new Error(`bench: planktos built the seek site without a manifest: ${result.warnings.join(' ')}`)
  return dirs
}

async function seekRun (variant: Variant, dir: string, n: number, link: LinkSpec): Promise<SeekRun> {
  const origin = await startOrigin(dir, link)
  const visitors: Visitor[] = []
  try {
    for (let i = 0; i < n; i++) {
      const v = await Visitor.start(variant)
      visitors.push(v)
      await v.open(origin.url, 60_000)
      await v.settle(false)
      await v.open(origin.url + 'watch/', 60_000)
      await v.page.waitForFunction(() => document.querySelector('audio')!.readyState >= 1, undefined, { timeout: 120_000 })
    }
    await new Promise(resolve => setTimeout(resolve, READ_MS))
    const mark = origin.log.length
    const results = await Promise.all(visitors.map(v => v.page.evaluate(() => new Promise<{ ms: number, problem?: string }>(resolve => {
      const a = document.querySelector('audio')!
      a.muted = true
      const began = performance.now()
      const failed = (why: string): void => resolve({ ms: NaN, problem: why })
      a.addEventListener('playing', () => resolve({ ms: performance.now() - began }), { once: true })
      a.addEventListener('error', () => failed(`MediaError ${a.error?.code ?? '?'}`), { once: true })
      setTimeout(() => failed('not playing after 120 s'), 120_000)
      a.currentTime = a.duration / 2
      void a.play().catch((e: Error) => failed(`play() refused: ${e.message}`))
    }))))
    // The origin logs a response once it has ended: the visitors leave first, so every response is counted.
    for (const v of visitors.splice(0)) await v.close().catch(() => {})
    await quiet(origin.log)
    const sent = (from: number): number => origin.log.slice(from).filter(e => e.url === '/' + FILE).reduce((s, e) => s + e.bytes, 0)
    return {
      variant,
      ms: results.map(r => Math.round(r.ms)),
      problems: results.flatMap((r, i) => r.problem ? [`visitor ${i + 1}: ${r.problem}`] : []),
      copies: +(sent(0) / BYTES).toFixed(2),
      afterSeek: +(sent(mark) / BYTES).toFixed(2)
    }
  } finally {
    for (const v of visitors) await v.close().catch(() => {})
    await origin.close()
  }
}

/** N visitors seeking at once, plain then planktos. */
export async function seekCase (n: number, dirs: { plain: string, planktos: string }, link: LinkSpec, log: (line: string) => void): Promise<SeekResult> {
  const plain = await seekRun('plain', dirs.plain, n, link)
  log(`  plain: from seek to playing, median ${median(plain.ms)} ms, slowest ${Math.max(...plain.ms)} ms (abs.); the origin sent ${plain.copies} copies of the file (${plain.afterSeek} after the seek)${plain.problems.length ? '; ' + plain.problems.join('; ') : ''}`)
  const planktos = await seekRun('planktos', dirs.planktos, n, link)
  log(`  planktos: from seek to playing, median ${median(planktos.ms)} ms, slowest ${Math.max(...planktos.ms)} ms (abs.); the origin sent ${planktos.copies} copies of the file (${planktos.afterSeek} after the seek)${planktos.problems.length ? '; ' + planktos.problems.join('; ') : ''}`)
  const slowest = Math.max(...planktos.ms.map((ms, i) => ms / plain.ms[i]!))
  return { n, mib: BYTES / 1024 / 1024, plain, planktos, ratio: { median: +(median(planktos.ms) / median(plain.ms)).toFixed(2), slowest: +slowest.toFixed(2) } }
}

export function seekTable (results: SeekResult[], link: LinkSpec): string {
  return [
    `A media element seeks to the middle of a ${BYTES / 1024 / 1024} MiB file, then plays; visitors all at once, origin behind one shared ${link.mbit} Mbit/s link (${link.rttMs} ms RTT). Goal: from the seek to playing no longer than without planktos. Origin copies: the file's bytes the origin sent over the whole visit ÷ its size.`,
    '',
    '| N | origin copies of the file, plain | planktos | median ms, plain (abs.) | median ms, planktos (abs.) | median ratio | slowest visitor ratio | played |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...results.map(r => `| ${r.n} | ${r.plain.copies} | ${r.planktos.copies} | ${median(r.plain.ms)} | ${median(r.planktos.ms)} | ${r.ratio.median}× | ${r.ratio.slowest}× | ${[...r.plain.problems, ...r.planktos.problems].length ? `FAILED: ${[...r.plain.problems.map(p => 'plain ' + p), ...r.planktos.problems.map(p => 'planktos ' + p)].join('; ')}` : 'all'} |`)
  ].join('\n')
}
