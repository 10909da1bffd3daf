// Item 6: brotli bytes of each runtime entry as built in dist/runtime (as scripts/build-runtime.ts counts them), and of
// the 2017 planktos' files when it is installed, for comparison.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync } from 'node:zlib'
import { webtorrentAlone } from '../scripts/webtorrent-lite.ts'

const root = fileURLToPath(new URL('..', import.meta.url))

export interface Size { file: string, raw: number, brotli: number }

async function size (file: string, path: string): Promise<Size> {
  const bytes = await readFile(path)
  return { file, raw: bytes.length, brotli: brotliCompressSync(bytes).length }
}

function measured (file: string, code: string): Size {
  return { file, raw: Buffer.byteLength(code), brotli: brotliCompressSync(code).length }
}

/** Our three entries, plus WebTorrent's share of downloader.js (built alone the same way). */
export async function runtimeSizes (): Promise<{ entries: Size[], webtorrent: Size }> {
  const dist = join(root, 'dist/runtime')
  return {
    entries: [await size('install.js', join(dist, 'install.js')), await size('planktos-sw.js (sw.js)', join(dist, 'sw.js')), await size('downloader.js', join(dist, 'downloader.js'))],
    webtorrent: measured('WebTorrent (inside downloader.js)', await webtorrentAlone(root))
  }
}

/** The 2017 planktos' install script, worker and page bundle (which holds WebTorrent 0.98). */
export async function sizes2017 (pkg: string): Promise<Size[]> {
  return [await size('install.js', join(pkg, 'install.js')), await size('planktos.sw.js', join(pkg, 'sw.js')), await size('planktos.min.js', join(pkg, 'build/planktos.min.js'))]
}
