// The benchmark's larger site for visitors: tens of MB of pages with decodable images (BMP noise, made without a
// codec), a shared stylesheet and script. Deterministic, so every run and every variant serves the same bytes.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { bmp } from './bmp.ts'

const PAGES = 24
const IMAGES_PER_PAGE = 3
const SIDE = 448 // 448 × 448 × 3 bytes: about 600 KB an image, 43 MB in all

/** Deterministic noise (a linear congruential generator): images that do not compress, like photos. */
function noise (size: number, seed: number): Buffer {
  const out = Buffer.alloc(size)
  let x = seed
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    out[i] = x >>> 24
  }
  return out
}

function page (i: number): string {
  const images = Array.from({ length: IMAGES_PER_PAGE }, (_, j) => `<img src="/img/p${i}-${j}.bmp" width="${SIDE}" height="${SIDE}" alt="">`).join('\n')
  const next = i + 1 < PAGES ? `<a href="/p/${i + 1}/">next</a>` : ''
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Media page ${i}</title><link rel="stylesheet" href="/site.css"><script src="/site.js" defer></script></head>
<body>
<h1>Media page ${i}</h1>
${images}
<p>${'Text of the page. '.repeat(200)}</p>
${next}
</body>
</html>
`
}

/** Writes the site into `dir` (no planktos); returns its page URLs (relative to /) in visiting order. */
export async function makeMediaSite (dir: string): Promise<string[]> {
  await mkdir(join(dir, 'img'), { recursive: true })
  await writeFile(join(dir, 'site.css'), `body{font:16px/1.5 sans-serif;max-width:60rem;margin:auto}img{display:inline-block;margin:4px}\n/*${noise(30_000, 7).toString('base64')}*/\n`)
  await writeFile(join(dir, 'site.js'), `document.documentElement.dataset.js = '${noise(60_000, 9).toString('base64')}'.length\n`)
  const urls: string[] = []
  for (let i = 0; i < PAGES; i++) {
    const url = i === 0 ? '' : `p/${i}/`
    await mkdir(join(dir, url), { recursive: true })
    await writeFile(join(dir, url, 'index.html'), i === 0 ? page(0) : page(i))
    for (let j = 0; j < IMAGES_PER_PAGE; j++) await writeFile(join(dir, 'img', `p${i}-${j}.bmp`), bmp(SIDE, n => noise(n, 1 + i * IMAGES_PER_PAGE + j)))
    urls.push(url)
  }
  return urls
}
