// normalizeOptions(): one place that fills defaults and names the option at fault.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { normalizeOptions, parseBytes, OptionError, defaults } from '../integrations/options.ts'
import { OPTION_TABLE } from '../integrations/options-table.ts'
import { optionFlags } from '../integrations/cli/flags.ts'

const errorOf = (fn: () => unknown): OptionError => {
  try {
    fn()
  } catch (err) {
    assert.instance(err, OptionError)
    return err as OptionError
  }
  throw new assert.Assertion({ message: 'expected an OptionError', operator: 'throws', expects: 'throw', actual: 'no throw', generated: false })
}

const values = suite('normalizeOptions values')

values('fills every default and returns a fresh object each time', () => {
  const a = normalizeOptions()
  const b = normalizeOptions({})
  assert.equal(a, b)
  assert.is.not(a, b)
  a.announce.push('wss://x.example')
  assert.is(normalizeOptions().announce.length, defaults.announce.length)
  assert.is(a.base, '/')
  assert.is(a.prefetch, 'none')
  assert.equal(a.ignoreSearchParams, ['utm_*', 'fbclid', 'gclid'])
})

values('normalises base to a leading and trailing slash', () => {
  assert.is(normalizeOptions({ base: 'docs' }).base, '/docs/')
  assert.is(normalizeOptions({ base: '/docs' }).base, '/docs/')
  assert.is(normalizeOptions({ base: '//a//b/' }).base, '/a/b/')
  assert.is(normalizeOptions({ base: '' }).base, '/')
})

values('reduces site to its origin', () => {
  assert.is(normalizeOptions({ site: 'https://example.com/some/page' }).site, 'https://example.com')
})

values('accepts sizes as numbers or strings with units', () => {
  assert.is(normalizeOptions({ shardSize: '32MiB' }).shardSize, 32 * 1024 * 1024)
  assert.is(normalizeOptions({ maxStorage: '1.5 GB' }).maxStorage, 1_500_000_000)
  assert.is(normalizeOptions({ prefetchBudget: 4096 }).prefetchBudget, 4096)
  assert.is(parseBytes('12kib'), 12 * 1024)
  assert.is(parseBytes('12 parsecs'), undefined)
  assert.is(parseBytes(-1), undefined)
})

values.run()

const errors = suite('normalizeOptions errors')

errors('rejects an unknown option and names it', () => {
  const err = errorOf(() => normalizeOptions({ shardsize: 5 } as never))
  assert.is(err.option, 'shardsize')
  assert.match(err.message, '"shardsize" is not a planktos option')
})

errors('rejects bad values with a sentence naming the option', () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ base: 'https://x.com/docs' }, 'base'],
    [{ base: '/a/../b' }, 'base'],
    [{ site: 'example.com' }, 'site'],
    [{ announce: ['https://tracker.example'] }, 'announce'],
    [{ announce: 'wss://ok.example' }, ''],
    [{ rtcConfig: [] }, 'rtcConfig'],
    [{ rtcConfig: { iceServers: 'stun:x' } }, 'rtcConfig'],
    [{ include: [1] }, 'include'],
    [{ shardSize: 'big' }, 'shardSize'],
    [{ shardSize: 1000 }, 'shardSize'],
    [{ peerTimeout: -5 }, 'peerTimeout'],
    [{ prefetch: 'some' }, 'prefetch'],
    [{ update: 'never' }, 'update'],
    [{ p2p: true }, 'p2p'],
    [{ killSwitch: 'yes' }, 'killSwitch'],
    [{ inject: 0 }, 'inject'],
    [{ dev: true }, 'dev']
  ]
  for (const [input, option] of cases) {
    if (!option) {
      assert.equal(normalizeOptions(input).announce, ['wss://ok.example'], 'a single string is a list of one')
      continue
    }
    const err = errorOf(() => normalizeOptions(input))
    assert.is(err.option, option, JSON.stringify(input))
    assert.match(err.message, `"${option}"`)
    assert.not.match(err.message, /\n/)
  }
})

errors('refuses base in an adapter, which takes it from the host', () => {
  const astro = errorOf(() => normalizeOptions({ base: '/x' }, { adapter: 'astro' }))
  assert.match(astro.message, 'planktos-web/astro')
  assert.match(astro.message, 'Astro `base`')
  const eleventy = errorOf(() => normalizeOptions({ base: '/x' }, { adapter: 'eleventy' }))
  assert.match(eleventy.message, 'pathPrefix')
  assert.is(normalizeOptions({ dev: true }, { adapter: 'eleventy' }).dev, true)
})

errors('rejects options that are not an object', () => {
  assert.is(errorOf(() => normalizeOptions('x' as never)).option, 'options')
  assert.is(errorOf(() => normalizeOptions([] as never)).option, 'options')
})

errors.run()

const table = suite('the options table')

table('names every option exactly once, and gives every option but dev and headers a flag the CLI parses', () => {
  assert.equal(OPTION_TABLE.map(row => row.option).sort(), Object.keys(defaults).sort())
  // dev is the adapters' own; headers come from a _headers file in the CLI's folder (docs/security.md).
  assert.equal(OPTION_TABLE.filter(row => row.flag === null).map(row => row.option).sort(), ['dev', 'headers'])
  assert.equal(Object.keys(optionFlags).sort(), OPTION_TABLE.filter(row => row.flag !== null).map(row => row.flag!.slice(2)).sort())
  for (const row of OPTION_TABLE) assert.is(row.flag === null, row.help === null, row.option)
})

table.run()
