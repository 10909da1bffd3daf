// Generates the benchmark's synthetic site: deterministic bytes, a realistic mix of pages, assets and media.
import { createCipheriv } from 'node:crypto'
import { mkdir, writeFile, stat } from 'node:fs/promises'
import { join } from 'node:path'

export interface SyntheticSpec { pages: number, assets: number, images: number, videos: number }

/** About 500 MiB in about 1,700 files. */
export const LARGE: SyntheticSpec = { pages: 1000, assets: 500, images: 180, videos: 20 }

/** Deterministic pseudo-random bytes (AES-CTR keystream), fast enough for hundreds of MiB. */
function bytes (seed: number, size: number): Buffer {
  const key = Buffer.alloc(16)
  key.writeUInt32BE(seed)
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size))
}

/** `head`, then random bytes as base64 text, then `tail`: `size` bytes in all. */
function text (head: string, random: Buffer, size: number, tail: string): Buffer {
  const fill = Math.max(0, size - Buffer.byteLength(head) - Buffer.byteLength(tail))
  return Buffer.from(head + random.toString('base64').slice(0, fill) + tail)
}

/** Writes the site into `dir` unless a complete copy is already there; returns its total bytes and file count. */
export async function makeSyntheticSite (dir: string, spec: SyntheticSpec = LARGE): Promise<{ files: number, bytes: number }> {
  // The marker sits beside the folder, so no tool sees it as part of the site.
  const marker = `${dir}.complete`
  const files: Array<[string, number]> = []
  for (let i = 0; i < spec.pages; i++) files.push([`section-${i % 40}/page-${i}/index.html`, 8_000 + (i * 7919) % 40_000])
  for (let i = 0; i < spec.assets; i++) files.push([`_assets/${i % 2 ? 'js' : 'css'}/chunk-${i}.${i % 2 ? 'js' : 'css'}`, 2_000 + (i * 104_729) % 120_000])
  for (let i = 0; i < spec.images; i++) files.push([`images/photo-${i}.jpg`, 400_000 + (i * 15_485_863) % 2_400_000])
  for (let i = 0; i < spec.videos; i++) files.push([`media/clip-${i}.mp4`, 8_000_000 + (i * 32_452_843) % 8_000_000])
  const total = files.reduce((s, [, n]) => s + n, 0)
  if (await stat(marker).then(() => true, () => false)) return { files: files.length, bytes: total }
  for (const [i, [path, size]] of files.entries()) {
    await mkdir(join(dir, path, '..'), { recursive: true })
    let data = bytes(i + 1, size)
    // Pages, stylesheets and scripts are text, as on a real site, so the builder's HTML and CSS paths do real work.
    if (path.endsWith('.html')) {
      const head = `<!doctype html><html><head><meta charset="utf-8"><title>Page ${i}</title><link rel="stylesheet" href="/_assets/css/chunk-${(i * 2) % spec.assets}.css"><script type="module" src="/_assets/js/chunk-${(i * 2 + 1) % spec.assets}.js"></script></head><body><img src="/images/photo-${i % spec.images}.jpg"><p>`
      data = text(head, data, size, '</p></body></html>\n')
    } else if (path.endsWith('.css')) {
      data = text(`body{background:url(/images/photo-${i % spec.images}.jpg)}.c{content:"`, data, size, '"}\n')
    } else if (path.endsWith('.js')) {
      data = text('export const data="', data, size, '";\n')
    }
    await writeFile(join(dir, path), data)
  }
  await writeFile(marker, '')
  return { files: files.length, bytes: total }
}
