// The benchmarks' plain sites are the generator's output without planktos: what the builder changed in a page comes
// out again (bench/sites.ts), or the plain side of every comparison is a different site.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { analyzePage } from '../integrations/builder/html.ts'
import { unholdMedia } from '../bench/sites.ts'

const test = suite('bench sites')

const PAGE = (media: string): string => `<!doctype html><html><head><title>t</title></head><body>${media}<p>text</p></body></html>`

for (const media of [
  '<audio controls preload="metadata" src="/media/tune.wav"></audio>',
  '<video preload="auto" src="/clip.webm" controls></video>',
  '<audio src="/media/tune.wav" controls></audio>'
]) {
  test(`a media element the builder held back loads again as its author wrote it: ${media}`, () => {
    const built = analyzePage(PAGE(media), 'index.html', '/', '/planktos/install.js').html
    assert.ok(built.includes('preload="none"'), 'the builder held it back')
    const plain = unholdMedia(built.replace(/<script[^>]*\bdata-planktos\b[^>]*><\/script>/g, ''))
    // The author's attribute comes back in the place the builder wrote its own; an absent one stays absent.
    assert.is(plain.replace(/\s+/g, ' '), PAGE(media).replace(/\s+/g, ' '))
  })
}

test('a page without held-back media is left as it is', () => {
  const page = PAGE('<audio preload="none" src="/a.wav"></audio>')
  assert.is(unholdMedia(page), page)
})

test.run()
