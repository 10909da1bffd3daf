// Consent: with `p2p: 'opt-in'`, a visitor's browser makes no tracker or peer connection until the page calls
// `planktos.enableP2P()`; the site works meanwhile (from the origin and the store); after the call peers connect,
// and the choice holds on the next page load, until `enableP2P(false)` withdraws it. Checked at the tracker itself:
// its connections and announces.
import type { Socket } from 'node:net'
import * as assert from 'uvu/assert'
import type { Page } from 'playwright-core'
// @ts-ignore: bittorrent-tracker publishes no types; the part used here is declared below.
import Server from 'bittorrent-tracker/server'
import { ALL_BROWSERS, connected, firstVisit, HANG, installed, rendered, startDownloader, stats, until, within } from './helpers/browsers.ts'
import { buildSite, gallery, siteFiles, startOrigin, type TestSite } from './helpers/site.ts'
import { browserSuites } from './helpers/suite.ts'

const GALLERY = gallery(2)

interface Tracker {
  url: string
  /** WebSocket connections the tracker accepted. */
  connections: number
  /** Announces it processed: peer id and event. */
  announces: Array<{ peerId: string, event: string }>
  /** Peer ids in the swarm of `infoHash`. */
  peers (infoHash: string): string[]
  close (): Promise<void>
}

interface TrackerServer {
  http: { address (): { port: number }, on (event: 'connection', listener: (socket: Socket) => void): void }
  ws: { on (event: 'connection', listener: () => void): void }
  torrents: Record<string, { peers: { keys: string[] } } | undefined>
  listen (port: number, host: string, done: () => void): void
  on (event: string, listener: (peerId: string, params: { event?: string }) => void): void
  close (done: () => void): void
}

/** bittorrent-tracker's WebSocket server on a free loopback port, watched. */
async function startWatchedTracker (): Promise<Tracker> {
  const server = new (Server as new (o: object) => TrackerServer)({ http: false, udp: false, ws: true, stats: false })
  const sockets = new Set<Socket>()
  const tracker: Tracker = {
    url: '',
    connections: 0,
    announces: [],
    peers: (infoHash) => server.torrents[infoHash]?.peers.keys ?? [],
    close: () => new Promise(resolve => {
      server.close(() => resolve())
      for (const s of sockets) s.destroy()
    })
  }
  for (const event of ['start', 'update', 'complete', 'stop']) server.on(event, (peerId) => { tracker.announces.push({ peerId, event }) })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  server.http.on('connection', (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  server.ws.on('connection', () => { tracker.connections++ })
  tracker.url = `ws://127.0.0.1:${server.http.address().port}`
  return tracker
}

/** Polls `ok` in Node until it holds. */
async function eventually (what: string, ok: () => boolean): Promise<void> {
  await within((async () => { while (!ok()) await new Promise(resolve => setTimeout(resolve, 100)) })(), what, HANG)
}

const enableP2P = (page: Page, allow = true): Promise<void> =>
  within(page.evaluate((allow) => (window as unknown as { planktos: { enableP2P (allow: boolean): Promise<void> } }).planktos.enableP2P(allow), allow), `planktos.enableP2P(${allow})`)

browserSuites(name => `p2p opt-in in ${name}`, ({ test, name, own, ownSite }) => {
  const optInSite = async (tracker: Tracker): Promise<TestSite> => ownSite(await buildSite({ announce: [tracker.url], p2p: 'opt-in', peerTimeout: 5000 }, GALLERY.files))

  test('no tracker contact before enableP2P(), and the site works', async ({ browser }) => {
    const tracker = own(await startWatchedTracker())
    const site = await optInSite(tracker)
    const origin = own(await startOrigin(site))
    const files = await siteFiles(site)
    // A browses: the worker stores what it loads, and the downloader runs, but must stay off the network.
    const A = await firstVisit(browser, origin.url)
    own(A.context())
    const page = GALLERY.pages[0]!
    await A.goto(origin.url + page.url)
    const shown = await rendered(A)
    assert.is(shown.title, page.title)
    for (const img of shown.images) assert.is(img.sha, files.get(img.src.slice(1))!.sha256, `${img.src} has the right bytes`)
    await installed(A)
    await startDownloader(A)
    const before = await until(A, 'A\'s worker to store what A loaded', s => (s.worker?.stored ?? 0) >= 6)
    // The downloader has started and decided: no swarm, so no WebTorrent client exists that could reach a tracker
    // (only enableP2P() or a remembered yes creates one). That, not a pause, is what makes the counts below final.
    assert.is(before.downloader?.p2p, false)
    assert.is(before.downloader?.torrents, 0)
    assert.is(tracker.connections, 0, 'no connection to the tracker')
    assert.equal(tracker.announces, [], 'no announce')
  })

  // Peers: WebKit here has no WebRTC (and its tracker client drops WebSocket trackers without it).
  if (name !== 'webkit') test('peers connect after enableP2P(), the choice is remembered and can be withdrawn', async ({ browser }) => {
    const tracker = own(await startWatchedTracker())
    const site = await optInSite(tracker)
    const origin = own(await startOrigin(site))
    const infoHash = site.manifest.shards[0]!.infoHash
    const A = await firstVisit(browser, origin.url)
    own(A.context())
    await startDownloader(A)
    assert.is((await stats(A)).downloader?.p2p, false, 'A has not agreed yet')
    await enableP2P(A)
    await eventually('A to announce', () => tracker.announces.length > 0)
    const aPeer = tracker.announces[0]!.peerId
    assert.is((await stats(A)).downloader?.p2p, true)

    // B agrees too: the two find each other.
    const B = await firstVisit(browser, origin.url)
    own(B.context())
    await startDownloader(B)
    assert.is((await stats(B)).downloader?.p2p, false, 'B has not agreed yet')
    assert.ok(!tracker.announces.some(a => a.peerId !== aPeer), 'B did not announce before agreeing')
    await enableP2P(B)
    await connected(B, 'B to connect to A')
    await connected(A, 'A to connect to B')
    assert.is(tracker.peers(infoHash).length, 2)

    // A's next page: no call, yet the downloader announces and connects.
    const announced = tracker.announces.length
    await A.goto(origin.url + 'about/')
    await installed(A)
    await startDownloader(A)
    await connected(A, 'A\'s new page to connect to B')
    assert.is((await stats(A)).downloader?.p2p, true)
    assert.ok(tracker.announces.length > announced, 'A\'s new page announced')

    // A withdraws: its page leaves the swarm at once, and the next page stays off.
    await enableP2P(A, false)
    const off = (await stats(A)).downloader
    assert.is(off?.p2p, false)
    assert.is(off?.peers, 0, 'no peer connection left')
    assert.is(off?.torrents, 0, 'no shard joined')
    await eventually('A to leave the swarm', () => tracker.announces.some(a => a.event === 'stop'))
    await A.goto(origin.url)
    await installed(A)
    await startDownloader(A)
    assert.is((await stats(A)).downloader?.p2p, false, 'withdrawn on the next page too')
  })
}, ALL_BROWSERS)
