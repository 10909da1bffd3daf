// `planktos tracker` against the attacks measured on bittorrent-tracker v11, each sent by a hostile client in a second
// process (test/helpers/hostile.ts) over loopback: frames that crashed the process, a peer speaking for another,
// one socket filling a swarm with fake peers, oversized frames, connections that never announce or come by the
// hundred from one address, and peer ids that carry markup into /stats. Each test also checks that the tracker still
// serves honest peers afterwards, and that /metrics counted the attack.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import WebSocket from 'ws'
import { startTracker, type TrackerHandle, type TrackerOptions } from '../integrations/cli/tracker.ts'
import { cleanup, tempDir } from './helpers/fs.ts'

const HOSTILE = fileURLToPath(new URL('./helpers/hostile.ts', import.meta.url))
const WAIT = 10_000
type Message = Record<string, unknown>

interface Hostile {
  /** The next line the attacker prints with this step. */
  step(name: string): Promise<Message>
  /** Lets an attacker that waits for its stdin to end finish. */
  end(): void
}

function hostile (attack: string, tracker: TrackerHandle, ...args: string[]): Hostile {
  const child = spawn(process.execPath, [HOSTILE, attack, tracker.url, ...args], { stdio: ['pipe', 'pipe', 'inherit'] })
  const lines: Message[] = []
  const waiters: Array<() => void> = []
  createInterface({ input: child.stdout }).on('line', line => {
    lines.push(JSON.parse(line) as Message)
    for (const w of waiters.splice(0)) w()
  })
  const exited = new Promise<void>(resolve => child.once('exit', () => { resolve(); for (const w of waiters.splice(0)) w() }))
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000) // a hang detector; the attacker bounds itself
  void exited.then(() => clearTimeout(timer))
  return {
    async step (name) {
      for (;;) {
        const i = lines.findIndex(l => l.step === name)
        if (i >= 0) return lines.splice(i, 1)[0]!
        if (child.exitCode !== null) throw new Error(`the attacker exited without "${name}": ${JSON.stringify(lines)}`)
        // The attacker's own waits end after 10 s each: this only catches a hang.
        await within(new Promise<void>(resolve => waiters.push(resolve)), `the attacker's "${name}"`, 3 * WAIT)
      }
    },
    end: () => child.stdin.end()
  }
}

function within<T> (promise: Promise<T>, what: string, ms = WAIT): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`no ${what} within ${ms}ms`)), ms) })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

const binary = (hex: string): string => Buffer.from(hex, 'hex').toString('latin1')
const newId = (): string => randomBytes(20).toString('hex')

/** An honest WebTorrent-like peer in the test process. */
interface Peer { id: string, send(m: Message): void, next(match?: (m: Message) => boolean): Promise<Message>, close(): void }

async function peer (tracker: TrackerHandle): Promise<Peer> {
  const socket = new WebSocket(tracker.url)
  const id = newId()
  const inbox: Message[] = []
  let wake: (() => void) | undefined
  socket.on('message', data => { inbox.push(JSON.parse(String(data)) as Message); wake?.() })
  await within(new Promise((resolve, reject) => { socket.once('open', resolve); socket.once('error', reject) }), 'connection')
  return {
    id,
    send: m => socket.send(JSON.stringify({ peer_id: binary(id), uploaded: 0, downloaded: 0, left: 1000, numwant: 0, ...m })),
    async next (match = () => true) {
      for (;;) {
        const i = inbox.findIndex(match)
        if (i >= 0) return inbox.splice(i, 1)[0]!
        await within(new Promise<void>(resolve => { wake = resolve }), 'a tracker message')
      }
    },
    close: () => socket.close()
  }
}

const offer = (): Message => ({ offer: { type: 'offer', sdp: 'v=0 (test)' }, offer_id: binary(newId()) })

/** Announces on a fresh connection and expects a normal answer: the tracker is alive and serves honest peers. */
async function stillServes (tracker: TrackerHandle, infoHash: string): Promise<void> {
  const p = await peer(tracker)
  p.send({ action: 'announce', info_hash: binary(infoHash), event: 'started' })
  const reply = await p.next()
  assert.is(reply['failure reason'], undefined, 'an honest announce is answered')
  p.close()
}

async function metric (tracker: TrackerHandle, line: string): Promise<number> {
  const text = await (await fetch(tracker.metricsUrl, { signal: AbortSignal.timeout(WAIT) })).text()
  const found = text.split('\n').find(l => l.startsWith(line + ' '))
  assert.ok(found, `${line} in /metrics`)
  return Number(found!.slice(line.length + 1))
}

interface Context { tracker: TrackerHandle, site: string, warnings: string[] }
const withTracker = (options: TrackerOptions = {}): ((ctx: Context) => Promise<void>) => async ctx => {
  const dir = await tempDir()
  ctx.site = newId()
  ctx.warnings = []
  const manifest = join(dir, 'manifest.json')
  await writeFile(manifest, JSON.stringify({ version: 1, base: '/', shards: [{ infoHash: ctx.site }] }))
  ctx.tracker = await startTracker({ allow: [manifest], onWarning: w => ctx.warnings.push(w), ...options })
}
const closeTracker = async (ctx: Context): Promise<void> => { await ctx.tracker?.close() }

// ---

const frames = suite<Context>('tracker: frames that crashed bittorrent-tracker v11', {} as Context)
frames.before.each(withTracker())
frames.after.each(closeTracker)
frames.after(cleanup)

for (const [name, frame] of [
  ['a scrape whose info_hash is an object', '{"action":"scrape","info_hash":{}}'],
  ['a scrape whose info_hash is a number', '{"action":"scrape","info_hash":5}'],
  ['a message that is not JSON', '{"action":'],
  ['a message of another action', '{"action":"connect"}']
] as const) {
  frames(`survives ${name}, closing only the socket that sent it`, async ({ tracker, site }) => {
    const done = await hostile('frame', tracker, frame).step('done')
    assert.is(done.reply, null, 'no answer')
    assert.is(done.closed, 1008, 'closed as a policy violation')
    await stillServes(tracker, site)
    assert.is(await metric(tracker, 'planktos_tracker_frames_refused_total'), 1)
  })
}

frames('survives an announce with offers: [null] while another peer is in the swarm', async ({ tracker, site }) => {
  const other = await peer(tracker)
  other.send({ action: 'announce', info_hash: binary(site), event: 'started' })
  await other.next()
  const frame = JSON.stringify({ action: 'announce', info_hash: binary(site), peer_id: binary(newId()), event: 'started', numwant: 1, offers: [null] })
  const done = await hostile('frame', tracker, frame).step('done')
  assert.is(done.closed, 1008)
  await stillServes(tracker, site)
  assert.is(await metric(tracker, 'planktos_tracker_rejects_total{reason="bad-message"}'), 1)
  other.close()
})

frames('answers a well-formed scrape', async ({ tracker, site }) => {
  const p = await peer(tracker)
  p.send({ action: 'scrape', info_hash: binary(site) })
  const reply = await p.next()
  assert.is(reply.action, 'scrape')
  p.close()
})

frames.run()

// ---

const ids = suite<Context>('tracker: peer ids belong to the socket that announced them', {} as Context)
ids.before.each(withTracker())
ids.after.each(closeTracker)

for (const spelling of ['its own', 'an alias of its'] as const) {
  ids(`a second connection cannot stop a victim and take its answers, with ${spelling} peer id`, async ({ tracker, site }) => {
    const attacker = hostile('hijack', tracker, site, ...spelling === 'its own' ? [] : ['alias'])
    await attacker.step('ready')
    const victim = await peer(tracker)
    const sent = offer()
    victim.send({ action: 'announce', info_hash: binary(site), event: 'started', numwant: 1, offers: [sent] })
    await victim.next(m => m.offer === undefined)
    const attacked = await attacker.step('attacked')
    // A third peer answers the victim's offer: the answer reaches the victim.
    const third = await peer(tracker)
    third.send({ action: 'announce', info_hash: binary(site), to_peer_id: binary(victim.id), offer_id: sent.offer_id, answer: { type: 'answer', sdp: 'v=0 (answer)' } })
    const answer = await victim.next(m => m.answer !== undefined)
    assert.is(Buffer.from(String(answer.peer_id), 'latin1').toString('hex'), third.id)
    assert.is((await attacker.step('done')).answer, null, 'the attacker got no answer')
    assert.is(attacked.closed, 1008, 'the attacker\'s second connection is closed')
    assert.is(await metric(tracker, `planktos_tracker_rejects_total{reason="${spelling === 'its own' ? 'peer-id-taken' : 'bad-message'}"}`), 1)
    victim.close()
    third.close()
  })
}

ids('one connection announcing 1,100 peer ids is closed at the second, and a newcomer\'s offers reach the real peers', async ({ tracker, site }) => {
  const real = await peer(tracker)
  real.send({ action: 'announce', info_hash: binary(site), event: 'started' })
  await real.next()
  const attacker = hostile('sybil', tracker, site, '1100')
  const done = await attacker.step('done')
  assert.ok((done.accepted as number) <= 1, `${done.accepted} fake peers accepted`)
  assert.is(done.closed, 1008)
  const newcomer = await peer(tracker)
  newcomer.send({ action: 'announce', info_hash: binary(site), event: 'started', numwant: 10, offers: Array.from({ length: 10 }, offer) })
  const reply = await newcomer.next(m => m.offer === undefined)
  assert.ok((reply.incomplete as number) <= 3, `${reply.incomplete} peers in the swarm`)
  await real.next(m => m.offer !== undefined) // the real peer got one of the newcomer's offers
  attacker.end()
  assert.is(await metric(tracker, 'planktos_tracker_rejects_total{reason="peer-id-changed"}'), 1)
  real.close()
  newcomer.close()
})

ids('/stats shows a peer id that carries markup as text', async ({ tracker, site }) => {
  const attacker = hostile('peer-id', tracker, '<script>alert(1)//xx', site)
  await attacker.step('announced')
  const html = await (await fetch(tracker.statsUrl, { signal: AbortSignal.timeout(WAIT) })).text()
  attacker.end()
  assert.not.match(html, '<script')
  assert.match(html, '&lt;script&gt;')
  assert.match(html, '1 torrents')
})

ids.run()

// ---

const limits = suite<Context>('tracker: limits on frames and connections', {} as Context)
limits.after.each(closeTracker)

limits('closes a connection that sends a frame over maxPayload (1 MiB against the 64 KiB default)', async (ctx) => {
  await withTracker()(ctx)
  const done = await hostile('big', ctx.tracker, String(1024 * 1024)).step('done')
  assert.is(done.replied, false)
  assert.is(done.closed, 1009, 'closed as "message too big"')
  await stillServes(ctx.tracker, ctx.site)
  assert.is(await metric(ctx.tracker, 'planktos_tracker_rejects_total{reason="too-large"}'), 1)
})

limits('accepts an announce with 10 offers of a realistic size under the default maxPayload', async (ctx) => {
  await withTracker()(ctx)
  const p = await peer(ctx.tracker)
  const sdp = 'a=candidate:1 1 udp 2122260223 192.168.1.10 50000 typ host\r\n'.repeat(40) // ~2.5 KB each
  p.send({ action: 'announce', info_hash: binary(ctx.site), event: 'started', numwant: 10, offers: Array.from({ length: 10 }, () => ({ offer: { type: 'offer', sdp }, offer_id: binary(newId()) })) })
  assert.is((await p.next())['failure reason'], undefined)
  p.close()
})

limits('closes connections that never announce once announceTimeout has passed', async (ctx) => {
  await withTracker({ announceTimeout: 300 })(ctx)
  const done = await hostile('silent', ctx.tracker, '40').step('done')
  assert.is(done.closed, 40)
  assert.equal(done.codes, [1008])
  assert.is(await metric(ctx.tracker, 'planktos_tracker_rejects_total{reason="no-announce"}'), 40)
  assert.is(await metric(ctx.tracker, 'planktos_tracker_connections'), 0)
})

limits('closes the connections one address opens past connectionsPerIp, and serves the rest', async (ctx) => {
  await withTracker({ connectionsPerIp: 10 })(ctx)
  const done = await hostile('crowd', ctx.tracker, '15', ctx.site).step('done')
  assert.is(done.answered, 10)
  assert.is(done.closed, 5)
  assert.equal(done.codes, [1008])
  assert.is(await metric(ctx.tracker, 'planktos_tracker_rejects_total{reason="connections-per-ip"}'), 5)
})

limits('drops a connection that stops answering pings, freeing its peer id for the visitor\'s next connection', async (ctx) => {
  await withTracker({ heartbeat: 200 })(ctx)
  const id = newId()
  const mute = hostile('mute', ctx.tracker, ctx.site, id)
  assert.ok((await mute.step('announced')).accepted)
  assert.is((await mute.step('done')).closed, 1006, 'terminated, as the peer would not answer a close either')
  const back = await peer(ctx.tracker)
  back.send({ action: 'announce', info_hash: binary(ctx.site), peer_id: binary(id), event: 'started' })
  assert.is((await back.next())['failure reason'], undefined)
  back.close()
})

limits.run()
