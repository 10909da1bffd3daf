// The bill's media page (issue 13): three visitors hold a page's media file (each read the front page, then opened
// the media page, which the worker answered, and played the file to its end; their tabs stay open), then a new
// visitor opens the media page as its first page and presses play a few seconds later, as a reader does. Counted:
// the file's bytes the origin sent during the new visitor's visit, with and without planktos. Goal: ≥ 80% of them
// from peers. The file is WAV noise played by an <audio> element (this machine has no video encoder): a media
// element's Range requests are the same for audio and video, and noise does not compress, like video.
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { build } from '../integrations/builder/index.ts'
import { controlled, installed, launch, stats, visitor, within } from '../test/helpers/browsers.ts'
import { quiet } from './bill.ts'
import { startHost } from './host.ts'
import { random } from './median-site.ts'
import { siteRequest, type Variant } from './visitor.ts'
import { silentWav } from '../sites/shared/make-media.ts'

const HOLDERS = 3
/** 8 MB: 47 s of 16-bit stereo at 44.1 kHz. */
const SECONDS = 47
const RATE = 44_100
const FILE = 'media/clip.wav'
/** How long the new visitor reads before pressing play: the worker has claimed the page by then. */
const READ_MS = 3000

/** Seconds of noise as a WAV file (this machine has no video encoder: an <audio> stands in for a video). */
function wav (seconds: number, seed: number): Buffer {
  const out = silentWav(seconds * RATE * 4)
  const next = random(seed)
  for (let i = 44; i < out.length; i += 4) out.writeUInt32LE((next() * 2 ** 32) >>> 0, i)
  return out
}

const html = (title: string, body: string): string =>
  `<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><title>${title}</title></head>\n<body>\n<h1>${title}</h1>\n${body}\n</body>\n</html>\n`

async function makeSite (dir: string): Promise<number> {
  await rm(dir, { recursive: true, force: true })
  await mkdir(join(dir, 'watch'), { recursive: true })
  await mkdir(join(dir, 'media'), { recursive: true })
  const clip = wav(SECONDS, 47)
  await writeFile(join(dir, FILE), clip)
  await writeFile(join(dir, 'index.html'), html('Front page', '<p><a href="/watch/">watch</a></p>'))
  // preload="metadata", as most players set it: the bulk of the file is asked for when the reader presses play.
  await writeFile(join(dir, 'watch/index.html'), html('Media page', `<audio src="/${FILE}" preload="metadata" controls></audio>\n<p>${'Text about the clip. '.repeat(100)}</p>`))
  return clip.length
}

/**
 * Plays the page's media element to its end, as fast as the browser allows: the element's error if it fails, and
 * the time from pressing play until it played (its first `playing` event).
 */
async function play (page: Page): Promise<{ failed?: string, startMs?: number }> {
  return page.evaluate(() => new Promise<{ failed?: string, startMs?: number }>(resolve => {
    const a = document.querySelector('audio')!
    let startMs: number | undefined
    const failed = (): void => resolve({ failed: `MediaError ${a.error?.code ?? '?'}: ${a.error?.message ?? 'no message'}`, startMs })
    if (a.error) return failed()
    a.muted = true
    a.playbackRate = 16
    const pressed = performance.now()
    a.addEventListener('playing', () => { startMs ??= Math.round(performance.now() - pressed) }, { once: true })
    a.addEventListener('ended', () => resolve({ startMs }), { once: true })
    a.addEventListener('error', failed, { once: true })
    void a.play().catch((e: Error) => resolve({ failed: `play() refused: ${e.message}` }))
  }))
}

export interface MediaSide {
  /** Bytes of the media file the origin sent during the new visitor's visit (bodies). */
  fileFromOrigin: number
  /** All origin bytes on the wire during that visit. */
  visitAll: number
  /** Bytes the new visitor's worker got from peers. */
  fromPeers: number
  /** Media elements that failed to play (MediaError), by visitor. */
  problems: string[]
  /** The new visitor's time from pressing play until its element played, in ms. */
  startMs?: number
}

export interface MediaResult { fileBytes: number, plain: MediaSide, planktos: MediaSide, fromPeersShare: number }

async function side (variant: Variant, dir: string): Promise<MediaSide> {
  const host = await startHost(dir)
  const browser = await launch('chromium')
  const contexts = []
  const problems: string[] = []
  const settle = async (page: Page): Promise<void> => {
    if (variant !== 'planktos') return
    await installed(page)
    await controlled(page)
  }
  try {
    for (let i = 0; i < HOLDERS; i++) {
      const context = await visitor(browser)
      contexts.push(context)
      const page = await context.newPage()
      await page.goto(host.url, { waitUntil: 'load' })
      await settle(page)
      await page.waitForTimeout(2000)
      await page.goto(host.url + 'watch/', { waitUntil: 'load' })
      await settle(page)
      const { failed } = await within(play(page), 'a holder to play the clip', 120_000)
      if (failed) problems.push(`holder ${i + 1}: ${failed}`)
    }
    await quiet(host.log)
    const context = await visitor(browser)
    contexts.push(context)
    const page = await context.newPage()
    const mark = host.log.length
    await page.goto(host.url + 'watch/', { waitUntil: 'load' })
    await page.waitForTimeout(READ_MS)
    await settle(page)
    const { failed, startMs } = await within(play(page), 'the new visitor to play the clip', 120_000)
    if (failed) problems.push(`the new visitor: ${failed}`)
    await quiet(host.log)
    const visit = host.log.slice(mark).filter(siteRequest)
    return {
      fileFromOrigin: visit.filter(e => e.url === '/' + FILE).reduce((s, e) => s + e.bodyBytes, 0),
      visitAll: visit.reduce((s, e) => s + e.wireBytes, 0),
      fromPeers: variant === 'planktos' ? (await stats(page)).worker?.downloaders.fromPeers ?? 0 : 0,
      problems,
      startMs
    }
  } finally {
    for (const c of contexts) await within(c.close(), 'a visitor to leave')
    await within(browser.close(), 'the browser to close')
    await host.close()
  }
}

/** Runs the media page case with and without planktos (packed for `tracker`) under `work`. */
export async function billMedia (work: string, tracker: string, log: (line: string) => void): Promise<MediaResult> {
  const plainDir = join(work, 'media-page-plain')
  const packedDir = join(work, 'media-page-planktos')
  const fileBytes = await makeSite(plainDir)
  await makeSite(packedDir)
  const result = await build(packedDir, { announce: [tracker], rtcConfig: { iceServers: [] } })
  if (!result.manifest) throw new Error(`bench: planktos built the media page site without a manifest: ${result.warnings.join(' ')}`)
  const plain = await side('plain', plainDir)
  log(`  media page plain: the clip's bytes from the origin ${plain.fileFromOrigin} of ${fileBytes}, played ${plain.startMs ?? '-'} ms after play`)
  const planktos = await side('planktos', packedDir)
  log(`  media page planktos: the clip's bytes from the origin ${planktos.fileFromOrigin} of ${fileBytes}, from peers ${planktos.fromPeers}, played ${planktos.startMs ?? '-'} ms after play${planktos.problems.length ? '; ' + planktos.problems.join('; ') : ''}`)
  return { fileBytes, plain, planktos, fromPeersShare: +(1 - planktos.fileFromOrigin / fileBytes).toFixed(2) }
}

/** One line for the bill's tables. */
export function mediaTable (x: MediaResult): string {
  const mb = (n: number): string => (n / 1e6).toFixed(2)
  return [
    `Media page: ${HOLDERS} visitors hold an ${mb(x.fileBytes)} MB media file (WAV noise in an \`<audio preload="metadata">\`); a new visitor opens its page as its first page and presses play after ${READ_MS / 1000} s (goal: ≥ 80% of the file's bytes from peers).`,
    '',
    '| | the file\'s bytes the origin sent (MB) | ÷ the file\'s size | from peers (MB) | the visit\'s origin bytes (MB) | from play to playing (ms) |',
    '| --- | --- | --- | --- | --- | --- |',
    `| with planktos | ${mb(x.planktos.fileFromOrigin)} | **${(x.planktos.fileFromOrigin / x.fileBytes).toFixed(2)}** (not from the origin: ${Math.round(x.fromPeersShare * 100)}%) | ${mb(x.planktos.fromPeers)} | ${mb(x.planktos.visitAll)} | ${x.planktos.startMs ?? '-'} |`,
    `| without | ${mb(x.plain.fileFromOrigin)} | ${(x.plain.fileFromOrigin / x.fileBytes).toFixed(2)} (a player asks for some ranges twice) | 0 | ${mb(x.plain.visitAll)} | ${x.plain.startMs ?? '-'} |`,
    ...([['with planktos', x.planktos], ['without', x.plain]] as Array<[string, MediaSide]>).flatMap(([label, side]) => side.problems.length > 0 ? ['', `Playback failed ${label}: ${side.problems.join('; ')}.`] : [])
  ].join('\n')
}
