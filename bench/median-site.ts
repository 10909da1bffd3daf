// The bill's synthetic site with Web-Almanac-median page weights (issue 13): a home page of about 2.7 MB and inner
// pages of about 1.9 MB as transferred (compressed), each HTML page ~90 KB of text (~25 KB sent), its own images (decodable BMP noise, which does not
// compress, like photos), and a shared stylesheet, script and two fonts under content-hashed names in `_assets/`
// (the host sends those `immutable`, as real hosts do). Text is words drawn from a small vocabulary, so it
// compresses about as much as real HTML, CSS and JS (4–6× with brotli). Deterministic: a seed gives the same bytes.
// `deploy: 2` is the next deploy: a new script bundle (new hash, so every page's HTML changes), new text on a few
// pages and one new image; everything else is the same bytes under the same names.
import { createHash } from 'node:crypto'
import { mkdir, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { bmp } from './bmp.ts'

export const PAGES = 16
const HTML_BYTES = 90_000
const HOME_IMAGES = 6
const INNER_IMAGES = 4
/** Image sides (px, 24-bit): about 320 KB on the home page, 280 KB inside. */
const HOME_SIDE = 326
const INNER_SIDE = 305
// Raw sizes whose brotli transfer is about the median's: ~560 KB of script, ~70 KB of stylesheet.
const JS_BYTES = 2_300_000
const CSS_BYTES = 300_000
const FONT_BYTES = 60_000
/** Pages whose text the second deploy changes, and the page whose first image it replaces. */
const EDITED = [2, 5, 9]
const NEW_IMAGE = 3
/** 2026-01-01, in seconds: files' mtimes are this plus a number taken from their content. */
const EPOCH = 1_767_225_600

/** mulberry32: a small seeded generator, the same numbers on every machine. */
export function random (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function noise (size: number, seed: number): Buffer {
  const next = random(seed)
  const out = Buffer.alloc(size)
  for (let i = 0; i < size; i += 4) out.writeUInt32LE((next() * 2 ** 32) >>> 0, Math.min(i, size - 4))
  return out
}

const VOCABULARY = Array.from({ length: 600 }, (_, i) => (i * 2654435761 >>> 0).toString(36).slice(0, 3 + i % 7))

/** `size` bytes of word salad: compresses like prose or minified code. */
function words (size: number, seed: number): string {
  const next = random(seed)
  const out: string[] = []
  let n = 0
  while (n < size) {
    const w = VOCABULARY[Math.floor(next() * VOCABULARY.length)]!
    out.push(w)
    n += w.length + 1
  }
  return out.join(' ').slice(0, size)
}

const hashed = (name: string, ext: string, bytes: Buffer | string): string =>
  `_assets/${name}.${createHash('sha256').update(bytes).digest('hex').slice(0, 8)}.${ext}`

/** A page's URL path relative to the base: '' for home, `p/<i>/` inside. */
export const pageUrl = (i: number): string => i === 0 ? '' : `p/${i}/`

/** Writes deploy `deploy` (1 or 2) of the site into `dir` (emptied first); returns its page URLs, home first. */
export async function makeMedianSite (dir: string, seed: number, deploy: 1 | 2): Promise<string[]> {
  await rm(dir, { recursive: true, force: true })
  await mkdir(join(dir, '_assets'), { recursive: true })
  await mkdir(join(dir, 'img'), { recursive: true })
  const files = new Map<string, Buffer | string>()
  const fonts = ['sans', 'serif'].map((name, i) => {
    const bytes = noise(FONT_BYTES, seed + 10 + i)
    const path = hashed(name, 'woff2', bytes)
    files.set(path, bytes)
    return { name, path }
  })
  const css = `${fonts.map(f => `@font-face{font-family:${f.name};src:url(/${f.path}) format("woff2")}`).join('')}\nbody{font-family:sans;max-width:60rem;margin:auto}h1{font-family:serif}img{display:inline-block;margin:4px}\n/* ${words(CSS_BYTES, seed + 20)} */\n`
  const cssPath = hashed('site', 'css', css)
  files.set(cssPath, css)
  // The bundle is what a deploy changes most often.
  const js = `document.documentElement.dataset.words = ${JSON.stringify(words(JS_BYTES, seed + 30 + (deploy === 2 ? 1 : 0)))}.length\n`
  const jsPath = hashed('app', 'js', js)
  files.set(jsPath, js)
  const urls: string[] = []
  for (let i = 0; i < PAGES; i++) {
    const count = i === 0 ? HOME_IMAGES : INNER_IMAGES
    const side = i === 0 ? HOME_SIDE : INNER_SIDE
    const images: string[] = []
    for (let j = 0; j < count; j++) {
      const fresh = deploy === 2 && i === NEW_IMAGE && j === 0
      const path = `img/p${i}-${j}${fresh ? '-v2' : ''}.bmp`
      files.set(path, bmp(side, n => noise(n, seed + 1000 + i * 10 + j + (fresh ? 500 : 0))))
      images.push(`<img src="/${path}" width="${side}" height="${side}" alt="">`)
    }
    const links = Array.from({ length: PAGES }, (_, k) => `<a href="/${pageUrl(k)}">page ${k}</a>`).join(' ')
    const head = `<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Page ${i}</title><link rel="stylesheet" href="/${cssPath}"><script src="/${jsPath}" defer></script></head>\n<body>\n<h1>Page ${i}</h1>\n<nav>${links}</nav>\n${images.join('\n')}\n<p>`
    const edited = deploy === 2 && EDITED.includes(i)
    const text = words(HTML_BYTES - head.length, seed + 100 + i + (edited ? 7000 : 0))
    files.set(join(pageUrl(i), 'index.html'), `${head}${text}</p>\n</body>\n</html>\n`)
    urls.push(pageUrl(i))
  }
  for (const [path, bytes] of files) {
    await mkdir(join(dir, path, '..'), { recursive: true })
    await writeFile(join(dir, path), bytes)
  }
  await stamp(dir)
  return urls
}

/**
 * Sets every file's mtime from its content. The host's ETag is size and mtime (as nginx's), so an unchanged file
 * keeps its ETag across deploys, as on a host with content ETags or a deploy that keeps mtimes, and a changed one
 * does not. Run again after planktos' builder rewrote the pages.
 */
export async function stamp (dir: string): Promise<void> {
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue
    const path = join(e.parentPath, e.name)
    const when = EPOCH + createHash('sha256').update(await readFile(path)).digest().readUInt32BE(0) % 1e7
    await utimes(path, when, when)
  }
}
