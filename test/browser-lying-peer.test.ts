// A lying peer: a Chromium page whose data channels are taken over by a test script. It floods planktos_file GETs,
// sends blocks of pieces nobody asked for, then declares a 2 GiB message. The victim (Chromium, then Firefox) still loads its files, cuts the liar off, and
// in Chromium its live memory (page + worker, after GC) does not grow with what the liar sends.
import { createHash } from 'node:crypto'
import type { Browser, Page } from 'playwright-core'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { startTracker } from '../integrations/cli/tracker.ts'
import { BROWSERS, connected, controlled, fetchHash, HANG, installed, launch, startDownloader, until, visitor, within, type BrowserName } from './helpers/browsers.ts'
import { liveMemory } from './helpers/memory.ts'
import { blob, buildSite, startOrigin } from './helpers/site.ts'

const SMALL = 'data/small.bin'
const BIG = 'data/big.bin'
const FILES = { [SMALL]: blob(256 * 1024, 21), [BIG]: blob(2 * 1024 * 1024, 22) }
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
/** planktos_file GETs the liar sends at once: 312 MiB of answers if each were answered. */
const GETS = 20_000
/** Bytes the liar sends after declaring a 2 GiB message. */
const JUNK = 32 * 1024 * 1024
/** Chromium: the victim's live memory may grow by less than this while the liar does its worst. */
const GROWTH_LIMIT = 16 * 1024 * 1024

interface Liar {
  channels: Set<RTCDataChannel>
  /** The victim's message id for planktos_file, per channel (from its extended handshake). */
  fileExt: Map<RTCDataChannel, number>
  received: number
}

/**
 * Runs in the liar's pages: records its data channels, and drops every block of a piece and every planktos_file
 * chunk its downloader would send (bittorrent-protocol sends a message's header and its data as two sends).
 */
function liarScript (): void {
  const send = RTCDataChannel.prototype.send as (this: RTCDataChannel, data: unknown) => void
  const liar: Liar = { channels: new Set(), fileExt: new Map(), received: 0 }
  ;(window as unknown as { liar: Liar }).liar = liar
  const seen = new WeakSet<RTCDataChannel>()
  const headers = new WeakMap<RTCDataChannel, Uint8Array>()
  const track = (channel: RTCDataChannel): void => {
    if (seen.has(channel)) return
    seen.add(channel)
    liar.channels.add(channel)
    channel.addEventListener('message', (e: MessageEvent) => {
      const bytes = new Uint8Array(e.data as ArrayBuffer)
      liar.received += bytes.length
      const ext = /13:planktos_filei(\d+)e/.exec(String.fromCharCode(...bytes.subarray(0, 4096)))
      if (ext) liar.fileExt.set(channel, Number(ext[1]))
    })
    channel.addEventListener('close', () => liar.channels.delete(channel))
  }
  // Tracked as soon as simple-peer listens on the channel: the victim's extended handshake can come before the
  // liar sends anything.
  const onmessage = Object.getOwnPropertyDescriptor(RTCDataChannel.prototype, 'onmessage')!
  Object.defineProperty(RTCDataChannel.prototype, 'onmessage', {
    ...onmessage,
    set (this: RTCDataChannel, fn: unknown) {
      track(this)
      onmessage.set!.call(this, fn)
    }
  })
  RTCDataChannel.prototype.send = function (this: RTCDataChannel, data: unknown) {
    track(this)
    const b = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array((data as Uint8Array).buffer, (data as Uint8Array).byteOffset, (data as Uint8Array).byteLength)
    const header = headers.get(this)
    if (header) {
      headers.delete(this)
      // A piece's block, or a planktos_file DATA (kind 1): never sent, nor their headers.
      if (header[4] === 7 || (header[4] === 20 && b[0] === liar.fileExt.get(this) && b[1] === 1)) return
      send.call(this, header)
      return send.call(this, data)
    }
    // Held until the data that follows says what it is: a piece's header, an extended message's header.
    if ((b.byteLength === 13 && b[4] === 7) || (b.byteLength === 5 && b[4] === 20)) return void headers.set(this, b.slice())
    // An unchoke (length 1, id 1): the victim never gets to ask for a piece.
    if (b.byteLength === 5 && b[3] === 1 && b[4] === 1) return
    send.call(this, data)
  } as typeof RTCDataChannel.prototype.send
}

const test = suite('a lying peer')
const cleanup: Array<() => Promise<unknown>> = []
test.after.each(async () => {
  for (const close of cleanup.splice(0).reverse()) await close().catch(() => {})
})

/** Makes the liar send `what` on each of its data channels. */
function lie (liar: Page, what: 'gets' | 'pieces' | 'huge', arg = ''): Promise<number> {
  return within(liar.evaluate(async ({ what, arg, GETS, JUNK }) => {
    const l = (window as unknown as { liar: Liar }).liar
    const u32 = (n: number): number[] => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]
    if (what === 'gets') {
      // GETs for a file the victim holds, all at once: kind 0, SHA-256, offset.
      const shaBytes = arg.match(/../g)!.map(x => parseInt(x, 16))
      let sent = 0
      for (const c of l.channels) {
        const id = l.fileExt.get(c)
        if (!id || c.readyState !== 'open') continue
        const batch: number[] = []
        for (let i = 0; i < GETS; i++) {
          batch.push(...u32(39), 20, id, 0, ...shaBytes, ...u32((i % 16) * 16384))
          if (batch.length > 60_000 || i === GETS - 1) {
            c.send(new Uint8Array(batch))
            batch.length = 0
          }
        }
        sent += GETS
      }
      return sent
    }
    if (what === 'pieces') {
      // Blocks of pieces nobody asked for, JUNK bytes of them: piece 0, again and again.
      const block = new Uint8Array(16 * 1024)
      let sent = 0
      for (const c of l.channels) {
        for (let n = 0; n < JUNK && c.readyState === 'open'; n += block.length) {
          while (c.bufferedAmount > 4 * 1024 * 1024 && c.readyState === 'open') await new Promise(resolve => setTimeout(resolve, 10))
          if (c.readyState !== 'open') break
          c.send(new Uint8Array([...u32(9 + block.length), 7, ...u32(0), ...u32(0)]))
          c.send(block)
          sent += block.length
        }
      }
      return sent
    }
    // A message declared 2 GiB long, then JUNK bytes of it.
    for (const c of l.channels) {
      if (c.readyState !== 'open') continue
      c.send(new Uint8Array([0x80, 0, 0, 0, 7]))
      const chunk = new Uint8Array(64 * 1024)
      for (let n = 0; n < JUNK && c.readyState === 'open'; n += chunk.length) {
        while (c.bufferedAmount > 4 * 1024 * 1024 && c.readyState === 'open') await new Promise(resolve => setTimeout(resolve, 10))
        if (c.readyState === 'open') c.send(chunk)
      }
    }
    return l.channels.size
  }, { what, arg, GETS, JUNK }), `the liar: ${what}`, HANG * 2)
}

for (const name of BROWSERS) {
  test(`${name}: a planktos_file GET flood, unrequested pieces and a 2 GiB message neither stall its pages nor grow its memory`, async () => {
    const tracker = await startTracker({ port: 0 })
    cleanup.push(() => tracker.close())
    // Each file a shard of its own, which the liar holds whole: the victim's web seed leaves every piece to it.
    const site = await buildSite({ announce: [tracker.url], peerTimeout: 1000, shardSize: 256 * 1024 }, FILES)
    cleanup.push(() => site.remove())
    const origin = await startOrigin(site)
    cleanup.push(() => origin.close())
    const browsers: Browser[] = [await launch('chromium'), ...name === 'chromium' ? [] : [await launch(name)]]
    cleanup.push(async () => { for (const b of browsers) await b.close() })
    const liarBrowser = browsers[0]!
    const victimBrowser = browsers.at(-1)!

    // The victim stores both files (from the origin: nobody else is there yet) and keeps its downloader running.
    const V = await (await visitor(victimBrowser)).newPage()
    await V.goto(origin.url)
    await installed(V)
    await controlled(V)
    for (const path of [SMALL, BIG]) assert.is((await fetchHash(V, origin.url + path)).sha, sha(FILES[path]!))
    await until(V, 'the victim to store both files', s => (s.worker?.stored ?? 0) >= 2)
    await V.goto(origin.url)
    await installed(V)
    await startDownloader(V)

    // The liar visits and gets both files too (its downloader answers nobody's requests for pieces).
    const lc = await visitor(liarBrowser)
    await lc.addInitScript(liarScript)
    const L = await lc.newPage()
    await L.goto(origin.url)
    await installed(L)
    await controlled(L)
    for (const path of [SMALL, BIG]) assert.is((await fetchHash(L, origin.url + path)).sha, sha(FILES[path]!))
    await startDownloader(L)
    await connected(V, 'the victim to connect to the liar')
    const memory = name === 'chromium' ? await liveMemory(victimBrowser, V) : undefined
    const baseline = await memory?.() ?? 0
    let peak = baseline
    const sample = async (): Promise<void> => { if (memory) peak = Math.max(peak, await memory()) }

    // 1. A flood of planktos_file GETs for a file the victim holds: answered at a bounded rate, the page unaffected.
    await within(L.waitForFunction(() => (window as unknown as { liar: Liar }).liar.fileExt.size > 0, undefined, { timeout: HANG - 1000 }), 'the victim\'s extended handshake')
    assert.ok(await lie(L, 'gets', sha(FILES[SMALL])) >= GETS)
    assert.equal(await fetchHash(V, origin.url + BIG), { sha: sha(FILES[BIG]), source: 'store' }, 'a page load during the flood')
    await sample()

    // 2. Blocks of pieces nobody asked for: dropped, nothing kept, a page load unaffected.
    assert.ok(await lie(L, 'pieces') > 0)
    assert.equal(await fetchHash(V, origin.url + SMALL), { sha: sha(FILES[SMALL]), source: 'store' }, 'a page load after unrequested pieces')
    await sample()

    // 3. A message declared 2 GiB long: the victim closes every wire to the liar instead of buffering it.
    await lie(L, 'huge')
    await until(V, 'the victim to cut the liar off', s => s.downloader?.peers === 0)
    await sample()
    assert.equal(await fetchHash(V, origin.url + SMALL), { sha: sha(FILES[SMALL]), source: 'store' })
    const received = await L.evaluate(() => (window as unknown as { liar: Liar }).liar.received)
    console.log(`${name}: the liar received ${(received / 2 ** 20).toFixed(1)} MiB in all` +
      (memory ? `; the victim's live JS memory (page + worker, after GC) ${((peak - baseline) / 2 ** 20).toFixed(1)} MiB above its ${(baseline / 2 ** 20).toFixed(1)} MiB baseline at most` : ''))
    if (memory) assert.ok(peak - baseline < GROWTH_LIMIT, `the victim's live memory grew by ${peak - baseline} bytes`)
    assert.ok(received < GETS * 16384 / 4, `the victim answered ${received} bytes of GETs (all of them would be ${GETS * 16384})`)
  })
}

test.run()
