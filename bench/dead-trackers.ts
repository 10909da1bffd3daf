// Trackers nobody can reach, for `npm run bench unreachable`: one whose port refuses connections (the tracker is
// down) and one that accepts them and never answers (a black hole: a firewall that drops, a hung server). A visitor
// must not be slower for either than without planktos (issue 11).
import { createServer, type Server, type Socket } from 'node:net'

/** tcpmux: privileged and long unused, so nothing on this machine listens there and every connection is refused. */
const REFUSED_PORT = 1

export interface DeadTrackers {
  /** A WebSocket tracker URL whose port refuses connections. */
  refused: string
  /** A WebSocket tracker URL that accepts the connection and never says a word. */
  silent: string
  /** How many connections the silent tracker has accepted so far. */
  silentConnections (): number
  close (): Promise<void>
}

function listen (server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port))
  })
}

const closeServer = (server: Server): Promise<void> => new Promise(resolve => server.close(() => resolve()))

export async function startDeadTrackers (): Promise<DeadTrackers> {
  const held = new Set<Socket>()
  let accepted = 0
  const hole = createServer(socket => {
    accepted++
    held.add(socket)
    socket.on('error', () => {}).on('close', () => held.delete(socket))
  })
  const silentPort = await listen(hole)
  return {
    refused: `ws://127.0.0.1:${REFUSED_PORT}/announce`,
    silent: `ws://127.0.0.1:${silentPort}/announce`,
    silentConnections: () => accepted,
    close: async () => {
      for (const s of held) s.destroy()
      await closeServer(hole)
    }
  }
}
