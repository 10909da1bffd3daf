import { readFileSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { eleventyImageTransformPlugin } from '@11ty/eleventy-img'
import planktos from 'planktos-web/eleventy'
import { tuneWav } from '../shared/make-media.ts'

export default function (eleventyConfig) {
  // Every <img> becomes a responsive <picture> of WebP and JPEG sizes written to /img/.
  eleventyConfig.addPlugin(eleventyImageTransformPlugin, {
    formats: ['webp', 'jpeg'],
    widths: [480, 960, 'auto'],
    htmlOptions: { imgAttributes: { loading: 'lazy', decoding: 'async', sizes: '(max-width: 46rem) 100vw, 46rem' } }
  })
  // {% css %} and {% js %} blocks are gathered into one stylesheet and one script file under /bundle/.
  eleventyConfig.addBundle('css', { toFileDirectory: 'bundle' })
  eleventyConfig.addBundle('js', { toFileDirectory: 'bundle' })
  // The stylesheet and the theme script are the Astro site's too: one copy, in sites/shared/.
  eleventyConfig.addShortcode('shared', name => readFileSync(join(import.meta.dirname, '../shared', name), 'utf8'))
  eleventyConfig.addFilter('isoDate', date => date.toISOString().slice(0, 10))
  eleventyConfig.addFilter('longDate', date => date.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }))
  // The audio file is made by code when the site is built, so the repository carries no binary media.
  eleventyConfig.on('eleventy.before', async ({ directories }) => {
    await mkdir(join(directories.output, 'media'), { recursive: true })
    await writeFile(join(directories.output, 'media/tune.wav'), tuneWav())
  })

  eleventyConfig.addPlugin(planktos, {
    // Unset, planktos uses public trackers and a public STUN server. The demo and the tests point the
    // site at a local tracker (PLANKTOS_ANNOUNCE=ws://127.0.0.1:8000) with no ICE servers (PLANKTOS_ICE=none).
    announce: process.env.PLANKTOS_ANNOUNCE ? [process.env.PLANKTOS_ANNOUNCE] : undefined,
    rtcConfig: process.env.PLANKTOS_ICE === 'none' ? { iceServers: [] } : undefined
  })
}

export const config = {
  dir: { input: 'src', output: '_site' },
  markdownTemplateEngine: 'njk'
}
