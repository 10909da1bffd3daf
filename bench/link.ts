// "Origin far away": a slow link in front of the origin, while visitors, the tracker and peers stay on loopback.
// The issue asks for `ip netns` + veth + `tc netem`; `netemAvailable()` tries exactly that and returns the error when
// the kernel refuses. The link used is a TCP relay in user space that models one shared link per direction: bytes
// queue behind each other at `mbit`, then travel `rttMs / 2`; a new connection costs one extra round trip (the TCP
// handshake). Like TCP's window, one connection holds at most `windowFor()` bytes on the link and in the relay's
// buffer for the receiver: beyond that the relay stops reading from the sender until they drain, so a response nobody
// reads (a paused media element's, a cancelled one's) takes the link from other responses, and is counted as sent,
// only up to a bound. That bound is looser than the window: the loopback sockets' own buffers, which the relay does
// not see, hold several MB more (a helper's test, 2026-12-07: a receiver that read 1.11 MB of 64 MiB and stopped had
// 6.49 MB go over the link and 9.76 MB counted as written by the origin; before the window, all 64 MiB).
// It does not model TCP's slow start or losses, so it flatters a cold connection slightly. With
// `shared: false` each connection gets such a link of its own: a slow origin rather than one shared pipe.
import { spawnSync } from 'node:child_process'
import { createServer, connect, type Socket } from 'node:net'

export interface LinkSpec {
  rttMs: number
  mbit: number
  /** false: each connection gets a link of its own (a slow origin rather than one shared pipe). Default true. */
  shared?: boolean
}
export const FAR: LinkSpec = { rttMs: 80, mbit: 20 }

export interface Link { port: number, close (): Promise<void> }

/** One direction of the link: a FIFO at `mbit`, then the one-way delay. */
class Direction {
  private free = 0
  private readonly spec: LinkSpec
  constructor (spec: LinkSpec) { this.spec = spec }
  /** When bytes handed over now reach the far end (ms, on performance.now()'s clock). */
  arrival (bytes: number, now: number, extraMs = 0): number {
    const start = Math.max(now, this.free)
    this.free = start + bytes * 8 / (this.spec.mbit * 1000)
    return this.free + this.spec.rttMs / 2 + extraMs
  }
}

/**
 * Bytes one connection may have on the link and unread by the receiver: four bandwidth-delay products (what a TCP
 * window grows to on such a path, with a bottleneck buffer), at least 256 KiB. 800 KB at 20 Mbit/s and 80 ms.
 */
export const windowFor = (spec: LinkSpec): number => Math.max(256 * 1024, 4 * spec.mbit * 125 * spec.rttMs)

/** Relays 127.0.0.1:<returned port> to 127.0.0.1:`target` through the emulated link. */
export async function startLink (target: number, spec: LinkSpec = FAR): Promise<Link> {
  const shared = { up: new Direction(spec), down: new Direction(spec) }
  const window = windowFor(spec)
  const sockets = new Set<Socket>()
  const server = createServer(client => {
    const { up, down } = spec.shared === false ? { up: new Direction(spec), down: new Direction(spec) } : shared
    const origin = connect(target, '127.0.0.1')
    sockets.add(client).add(origin)
    let first = true
    pipe(client, origin, up, () => { const extra = first ? spec.rttMs : 0; first = false; return extra }, window)
    const back = pipe(origin, client, down, () => 0, window)
    const done = (): void => { client.destroy(); origin.destroy(); sockets.delete(client); sockets.delete(origin) }
    client.on('error', done).on('close', done)
    // The origin sends at loopback speed and may close an idle keep-alive connection while the link still carries
    // its bytes (a 16 MiB answer takes seconds on it): the visitor's side ends once they are delivered (end, not
    // destroy, which would drop what is still buffered), and its close cleans up.
    origin.on('error', back.finish).on('close', back.finish)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as { port: number }).port,
    close: () => new Promise<void>(resolve => {
      for (const s of sockets) s.destroy()
      server.close(() => resolve())
    })
  }
}

/**
 * Forwards `from` to `to`, each chunk released when the link would deliver it, in order; `finish()` ends `to` after
 * the last chunk. One queue and one timer: separate timers per chunk can fire out of order (their delays are counted
 * from the event loop's cached clock), and an end overtaking the last chunks cut responses short. Reading from `from`
 * pauses while more than `window` bytes are on the link or waiting for `to` to take them.
 */
function pipe (from: Socket, to: Socket, link: Direction, extra: () => number, window: number): { finish (): void } {
  let last = 0
  let onLink = 0
  const queue: Array<{ at: number, chunk?: Buffer }> = []
  let timer: ReturnType<typeof setTimeout> | undefined
  const full = (): boolean => onLink + to.writableLength > window
  const resume = (): void => { if (from.isPaused() && !full()) from.resume() }
  const drain = (): void => {
    timer = undefined
    while (queue.length > 0 && queue[0]!.at <= performance.now()) {
      const { chunk } = queue.shift()!
      onLink -= chunk?.length ?? 0
      if (to.destroyed) continue
      if (chunk) to.write(chunk)
      else to.end()
    }
    resume()
    if (queue.length > 0) timer = setTimeout(drain, Math.max(0, queue[0]!.at - performance.now()))
  }
  to.on('drain', resume)
  const push = (item: { at: number, chunk?: Buffer }): void => {
    queue.push(item)
    timer ??= setTimeout(drain, Math.max(0, item.at - performance.now()))
  }
  from.on('data', (chunk: Buffer) => {
    last = Math.max(last, link.arrival(chunk.length, performance.now(), extra()))
    push({ at: last, chunk })
    onLink += chunk.length
    if (full()) from.pause()
  })
  const finish = (): void => push({ at: last })
  from.on('end', finish)
  return { finish }
}

export interface NetemCheck { ok: boolean, steps: Array<{ command: string, status: number | null, stderr: string }> }

/** Tries a network namespace, a veth pair and a netem qdisc (80 ms, 20 Mbit/s), then removes them. */
export function netemAvailable (): NetemCheck {
  const steps: NetemCheck['steps'] = []
  const run = (args: string[], record = true): boolean => {
    const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' })
    const stderr = (r.error?.message ?? r.stderr ?? '').trim()
    if (record) steps.push({ command: args.join(' '), status: r.status, stderr })
    return r.status === 0
  }
  const ns = `pbench${process.pid}`
  const ok = run(['ip', 'netns', 'add', ns]) &&
    run(['ip', 'link', 'add', `${ns}a`, 'type', 'veth', 'peer', 'name', `${ns}b`, 'netns', ns]) &&
    run(['tc', 'qdisc', 'add', 'dev', `${ns}a`, 'root', 'netem', 'delay', `${FAR.rttMs / 2}ms`, 'rate', `${FAR.mbit}mbit`])
  run(['ip', 'link', 'del', `${ns}a`], false)
  run(['ip', 'netns', 'del', ns], false)
  return { ok, steps }
}
