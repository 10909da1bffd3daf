// Byte ranges through the worker, in Chromium, Firefox and WebKit: the same hand-written RFC 9110 table
// (helpers/range-cases) answered with the file not yet fetched (the origin), in the store, and arriving from a peer;
// and an <audio> element that plays and seeks with every one of its Range requests answered by the worker.
import { createHash } from 'node:crypto'
import * as assert from 'uvu/assert'
import { startTracker } from '../integrations/cli/tracker.ts'
import { ALL_BROWSERS, connected, firstVisit, installed, pageFetch, startDownloader, stats, until } from './helpers/browsers.ts'
import { AUDIO_PAGE, checkTable, fetchAll, playAndSeek, toneWav, TONE_FILE as FILE, TONE_SIZE } from './helpers/range-cases.ts'
import { buildSite, siteFiles, startOrigin, type Origin } from './helpers/site.ts'
import { browserSuites } from './helpers/suite.ts'

const TONE = toneWav()
const SHA = createHash('sha256').update(TONE).digest('hex')
const ETAG = `"${SHA}"`
// Long enough that the origin hedge never starts while peers are working.
const PEER_TIMEOUT = 15_000

/** The origin's log entries for the tone file. */
const toneRequests = (origin: Origin, from = 0): Array<{ range: string | null, status: number }> =>
  origin.log.slice(from).filter(e => e.url.endsWith(FILE)).map(e => ({ range: e.range, status: e.status }))

/**
 * The origin's requests for the tone file, as this browser's worker makes them: one whole-file request, or (without
 * WebRTC, where the worker fetches in ranges because WebKit hands it a body only whole) the first 256 KiB, then the
 * rest. Either way every byte once, in order.
 */
const ONCE = (webrtc: boolean): Array<{ range: string | null, status: number }> => webrtc
  ? [{ range: null, status: 200 }]
  : [{ range: 'bytes=0-262143', status: 206 }, { range: 'bytes=262144-', status: 206 }]

/** The bytes of the table's ranges that start more than 1 MiB into the file (open-ended, suffix, clipped). */
const FAR_BYTES = (TONE_SIZE - 1_300_000) + 1000 + (TONE_SIZE - 1_323_000)

browserSuites(name => `${name}: byte ranges through the worker`, ({ test, name, own, ownSite }) => {
  // WebKit here has no WebRTC: no second visitor can get the file from the first, so the table's peer phase runs in
  // Chromium and Firefox only; the origin and store phases, and the <audio> case, run in WebKit too.
  const peers = name !== 'webkit'

  test(`the Range table passes with the file from the origin, then from the store${peers ? ', then from a peer' : ''}`, async ({ browser }) => {
    const tracker = own(await startTracker({ port: 0 }))
    const site = ownSite(await buildSite({ announce: [tracker.url], peerTimeout: PEER_TIMEOUT }, { [FILE]: TONE }))
    const origin = own(await startOrigin(site))
    const url = origin.url + FILE
    // (iii) Not yet fetched, and nobody to ask: the worker asks the origin once, for the whole file.
    const A = await firstVisit(browser, origin.url)
    own(A.context())
    await startDownloader(A)
    const mark = origin.log.length
    const counted = (await stats(A)).worker!
    checkTable(await fetchAll(A, url, ETAG), TONE, ETAG, 'origin', 'from the origin')
    // The table's requests come all at once: one that starts more than a MiB past where the download has got by
    // then is asked of the origin on its own (runtime/worker/stream.ts). So the origin sends the file once, and at
    // most those ranges again (Chromium's HTTP cache then fetches the download's whole file as the ranges it lacks:
    // the requests differ from run to run, the bytes do not).
    const sent = origin.log.slice(mark).filter(e => e.url.endsWith(FILE)).reduce((n, e) => n + e.bytes, 0)
    assert.ok(sent >= TONE_SIZE && sent <= TONE_SIZE + FAR_BYTES, `the origin sent ${sent} bytes of the file: ${JSON.stringify(toneRequests(origin, mark))}`)
    // Stored, and its download ended: until then a request joins the download (and says 'origin'), and the file
    // is counted stored before its download ends. (Waiting for any stored file let the store phase start in that
    // gap in WebKit, where the first page's files may be counted stored first.)
    const { worker } = await until(A, 'A to store the file and end its download', s => (s.worker?.stored ?? 0) > counted.stored && (s.worker?.ended ?? 0) > counted.ended)
    assert.is(worker?.verifyFailures, 0)

    // (i) In the store.
    checkTable(await fetchAll(A, url, ETAG), TONE, ETAG, 'store', 'from the store')
    if (!peers) return

    // (ii) Arriving from a peer: a second visitor who finds A through the tracker. A first fetches every other
    // file, so that the pieces the tone file shares with its neighbours are A's to give too, and starts a fresh
    // downloader, which announces all of them at once.
    const files = await siteFiles(site)
    for (const path of files.keys()) await pageFetch(A, origin.url + path.split('/').map(encodeURIComponent).join('/'))
    const distinct = new Set([...files.values()].map(f => f.sha256)).size
    await until(A, 'A to store every file', s => (s.worker?.stored ?? 0) >= distinct)
    await A.goto(origin.url)
    await installed(A)
    await startDownloader(A)
    const B = await firstVisit(browser, origin.url)
    own(B.context())
    await startDownloader(B)
    await connected(B, 'B to connect to A')
    const before = origin.log.length
    // The ranges past 1 MiB come from the peer through B's download, or from the origin on their own when that
    // download would take longer than a second to get there (a loaded machine: Firefox, once, in CI).
    checkTable(await fetchAll(B, url, ETAG), TONE, ETAG, 'peers', 'from a peer', 'origin')
    const sentB = origin.log.slice(before).filter(e => e.url.endsWith(FILE)).reduce((n, e) => n + e.bytes, 0)
    assert.ok(sentB <= FAR_BYTES, `the origin sent ${sentB} bytes of the file, more than the far ranges: ${JSON.stringify(toneRequests(origin, before))}`)
    const s = await until(B, 'B to store the file', s => (s.worker?.stored ?? 0) >= 1)
    assert.is(s.worker?.verifyFailures, 0)
    assert.ok((s.downloader?.fromPeers ?? 0) >= TONE_SIZE, `bytes from peers at the wire: ${s.downloader?.fromPeers}`)
  })

  test('an <audio> element served through the worker plays and seeks', async ({ browser }) => {
    const site = ownSite(await buildSite({}, { [FILE]: TONE, 'listen/index.html': AUDIO_PAGE }))
    const origin = own(await startOrigin(site))
    const page = await firstVisit(browser, origin.url)
    own(page.context())
    const mark = origin.log.length
    await page.goto(origin.url + 'listen/')
    const result = await playAndSeek(page)
    assert.ok(Math.abs(result.duration - 15) < 0.1, `duration ${result.duration}`)
    assert.ok(result.after >= 9.9, `currentTime after seeking: ${result.after}`)
    assert.ok(result.now > result.after, `currentTime moves on: ${result.now}`)
    assert.is(result.error, null)
    // Every Range request the element made was answered by the worker: the origin sent the file once.
    const asked = toneRequests(origin, mark)
    assert.equal(asked, ONCE(peers), JSON.stringify(asked))
  })
}, ALL_BROWSERS)
