// One table of Range requests with their RFC 9110 answers, written out by hand for one file: the WAV below,
// 1,323,044 bytes. The worker (store, peers, origin) and `planktos serve` must all pass it.
import { createHash } from 'node:crypto'
import type { Page } from 'playwright-core'
import * as assert from 'uvu/assert'
import { within } from './browsers.ts'

/** 15 s of a 440 Hz tone, 44.1 kHz mono 16-bit PCM: a WAV every browser plays, of 44 + 1,323,000 bytes. */
export function toneWav (): Uint8Array {
  const rate = 44_100
  const samples = rate * 15
  const out = new Uint8Array(44 + samples * 2)
  const v = new DataView(out.buffer)
  const text = (at: number, s: string): void => { for (let i = 0; i < s.length; i++) out[at + i] = s.charCodeAt(i) }
  text(0, 'RIFF'); v.setUint32(4, out.length - 8, true); text(8, 'WAVE')
  text(12, 'fmt '); v.setUint32(16, 16, true); v.setUint16(20, 1, true); v.setUint16(22, 1, true)
  v.setUint32(24, rate, true); v.setUint32(28, rate * 2, true); v.setUint16(32, 2, true); v.setUint16(34, 16, true)
  text(36, 'data'); v.setUint32(40, samples * 2, true)
  for (let i = 0; i < samples; i++) v.setInt16(44 + 2 * i, Math.round(8000 * Math.sin(2 * Math.PI * 440 * i / rate)), true)
  return out
}

export const TONE_SIZE = 1_323_044

/** Where the suites put the tone, and a page whose <audio> plays it (preload="auto": it asks for ranges as soon as install.js gives it back its preload, runtime/page/media.ts). */
export const TONE_FILE = 'media/tone.wav'
export const AUDIO_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Listen</title></head>
<body><h1 id="title">Listen</h1><audio id="tune" src="../media/tone.wav" preload="auto" controls></audio></body></html>
`

/** Plays AUDIO_PAGE's <audio>, seeks to 10 s and waits until it plays on from there; what the element saw. */
export function playAndSeek (page: Page): Promise<{ duration: number, after: number, now: number, error: number | null }> {
  return within(page.evaluate(async () => {
    const audio = document.getElementById('tune') as HTMLAudioElement
    const event = (name: string): Promise<void> => new Promise((resolve, reject) => {
      audio.addEventListener(name, () => resolve(), { once: true })
      audio.addEventListener('error', () => reject(new Error(`media error ${audio.error?.code}: ${audio.error?.message}`)), { once: true })
    })
    audio.muted = true
    if (audio.readyState < 1) await event('loadedmetadata')
    const duration = audio.duration
    await audio.play()
    const seeked = event('seeked')
    audio.currentTime = 10
    await seeked
    const after = audio.currentTime
    // It keeps playing from there: currentTime moves on.
    while (audio.currentTime <= after + 0.2) await new Promise(resolve => setTimeout(resolve, 50))
    return { duration, after, now: audio.currentTime, error: audio.error?.code ?? null }
  }), 'the audio to play and seek')
}

/** Stands for the file's validator in If-Range: its ETag for the worker, its Last-Modified date for serve. */
export const VALIDATOR = '<validator>'

export interface RangeCase {
  name: string
  range: string
  ifRange?: string
  status: 200 | 206 | 416
  /** Expected Content-Range, for 206 and 416. */
  contentRange?: string
  /** Expected body: bytes [start, end) of the file (200: the whole file). */
  body?: [number, number]
}

const WHOLE: [number, number] = [0, TONE_SIZE]

export const RANGE_CASES: RangeCase[] = [
  { name: 'first byte', range: 'bytes=0-0', status: 206, contentRange: 'bytes 0-0/1323044', body: [0, 1] },
  { name: 'middle', range: 'bytes=600000-600999', status: 206, contentRange: 'bytes 600000-600999/1323044', body: [600000, 601000] },
  { name: 'open-ended', range: 'bytes=1300000-', status: 206, contentRange: 'bytes 1300000-1323043/1323044', body: [1300000, 1323044] },
  { name: 'suffix', range: 'bytes=-1000', status: 206, contentRange: 'bytes 1322044-1323043/1323044', body: [1322044, 1323044] },
  { name: 'suffix longer than the file (the whole file)', range: 'bytes=-2000000', status: 206, contentRange: 'bytes 0-1323043/1323044', body: WHOLE },
  { name: 'last position past the end (clipped)', range: 'bytes=1323000-2000000', status: 206, contentRange: 'bytes 1323000-1323043/1323044', body: [1323000, 1323044] },
  { name: 'starting past the end', range: 'bytes=1323044-', status: 416, contentRange: 'bytes */1323044' },
  { name: 'malformed', range: 'bytes=abc', status: 200, body: WHOLE },
  { name: 'ending before it starts', range: 'bytes=5-2', status: 200, body: WHOLE },
  { name: 'several ranges', range: 'bytes=0-1,5-6', status: 200, body: WHOLE },
  { name: 'If-Range matching', range: 'bytes=100-199', ifRange: VALIDATOR, status: 206, contentRange: 'bytes 100-199/1323044', body: [100, 200] },
  { name: 'If-Range not matching', range: 'bytes=100-199', ifRange: '"0000"', status: 200, body: WHOLE }
]

/** The request headers of a case, with the file's validator put in. */
export function caseHeaders (c: RangeCase, validator: string): Record<string, string> {
  const h: Record<string, string> = { Range: c.range }
  if (c.ifRange) h['If-Range'] = c.ifRange === VALIDATOR ? validator : c.ifRange
  return h
}

/** What the page got for one case of the table. */
export interface RangeAnswer { status: number, contentRange: string | null, etag: string | null, acceptRanges: string | null, source: string | null, length: number, sha: string }

const hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

/** Every case of the table fetched at once from `page` (so all but the first join a download under way). */
export function fetchAll (page: Page, url: string, etag: string): Promise<RangeAnswer[]> {
  const requests = RANGE_CASES.map(c => caseHeaders(c, etag))
  return within(page.evaluate(async ([url, requests]) => Promise.all(requests.map(async headers => {
    const res = await fetch(url, { headers, cache: 'no-store' })
    const body = new Uint8Array(await res.arrayBuffer())
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', body))
    return {
      status: res.status,
      contentRange: res.headers.get('Content-Range'),
      etag: res.headers.get('ETag'),
      acceptRanges: res.headers.get('Accept-Ranges'),
      source: res.headers.get('X-Planktos-Source'),
      length: body.length,
      sha: [...digest].map(b => b.toString(16).padStart(2, '0')).join('')
    }
  })), [url, requests] as const), `the range table at ${url}`)
}

/**
 * Checks every answer against the table for `file`; `source` is where the worker must say the bytes came from, and
 * `far`, if given, where it may say they came from instead for a range that starts more than 1 MiB into the file (the
 * worker asks the origin for such a range when the download would not get there within a second).
 */
export function checkTable (answers: RangeAnswer[], file: Uint8Array, etag: string, source: string, where: string, far?: string): void {
  RANGE_CASES.forEach((c, i) => {
    const a = answers[i]!
    const what = `${where}: ${c.name} (${c.range}${c.ifRange ? `, If-Range ${c.ifRange}` : ''})`
    assert.is(a.status, c.status, what)
    assert.is(a.contentRange, c.contentRange ?? null, what)
    assert.is(a.etag, etag, what)
    assert.is(a.acceptRanges, 'bytes', what)
    if (c.body) {
      assert.is(a.length, c.body[1] - c.body[0], what)
      assert.is(a.sha, hex(file.subarray(c.body[0], c.body[1])), what)
      if (far && c.body[0] > 1024 * 1024 && a.source === far) return
      assert.is(a.source, source, what)
    } else {
      assert.is(a.length, 0, what)
    }
  })
}
