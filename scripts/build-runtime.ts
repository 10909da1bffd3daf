// Builds the three runtime entries into dist/runtime/ with rollup, and prints each one's size next to its
// budget. Fails when a budget is exceeded or WebTorrent ends up in the worker.
// Usage: node scripts/build-runtime.ts
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, gzipSync } from 'node:zlib'
import { nodeResolve } from '@rollup/plugin-node-resolve'
import { rollup } from 'rollup'
import terserPlugin from '@rollup/plugin-terser'
import esbuild from 'rollup-plugin-esbuild'
import { entries, type Entry } from './runtime-entries.ts'
import { downloaderPlugins } from './webtorrent-lite.ts'

// Its types describe a CommonJS module (see scripts/webtorrent-lite.ts).
const terser = terserPlugin as unknown as typeof terserPlugin.default
const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const out = join(root, 'dist', 'runtime')
const brotli = (bytes: Uint8Array | string): number => brotliCompressSync(bytes).length

/** Builds one entry; returns its code. */
async function bundle (entry: Entry): Promise<string> {
  const build = await rollup({
    input: join(root, entry.input),
    // The downloader bundles WebTorrent from its sources, less what planktos never reaches (scripts/webtorrent-lite.ts).
    plugins: entry.name === 'downloader'
      ? downloaderPlugins(root)
      // terser after esbuild's minifier takes ~420 B brotli more out of the worker (12,277 → 11,855): bytes every
      // visitor pays, where esbuild alone leaves foldable constants and duplicate branches in. A third pass takes 27 B
      // more out of the worker (13,178 → 13,151); a fourth nothing.
      : [nodeResolve({ browser: true }), esbuild({ target: 'es2022', minify: true, legalComments: 'none' }), terser({ ecma: 2020, compress: { passes: 3 }, format: { comments: false } })],
    onwarn (warning, warn) {
      // The install script imports the downloader from a URL only known at run time: that is intended.
      if (warning.code === 'UNRESOLVED_IMPORT' || warning.code === 'CIRCULAR_DEPENDENCY') return
      warn(warning)
    }
  })
  try {
    const { output } = await build.generate({ format: entry.format, inlineDynamicImports: true })
    return output[0].code
  } finally {
    await build.close()
  }
}

async function main (): Promise<void> {
  await mkdir(out, { recursive: true })
  const rows: string[][] = []
  const problems: string[] = []
  for (const entry of entries) {
    const code = await bundle(entry)
    await writeFile(join(out, `${entry.name}.js`), code)
    const size = brotli(code)
    if (size > entry.budget) problems.push(`${entry.name}.js: ${size} bytes brotli, budget ${entry.budget}.`)
    if (entry.name === 'sw' && /webtorrent/i.test(code)) problems.push('sw.js contains WebTorrent; the worker must not import it.')
    rows.push([`${entry.name}.js`, String(code.length), String(gzipSync(code, { level: 9 }).length), String(size), String(entry.budget)])
  }
  const header = ['file', 'raw', 'gzip', 'brotli', 'budget']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => r[i]!.length)))
  for (const row of [header, ...rows]) console.log(row.map((c, i) => i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)).join('  '))
  if (problems.length) {
    for (const p of problems) console.error(`build-runtime: ${p}`)
    process.exitCode = 1
  }
}

await main()
