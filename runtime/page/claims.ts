// A member's claim passed on to peers that cannot hear it (runs in the page, no WebTorrent import, so it is
// unit-tested in Node). A page alone in a swarm, whose worker fetches a large file from the origin, says which pieces
// in its extended handshake (`planktos_fetches`, OriginShare.fetches), and the others wait for it rather than fetch
// their shares of the split (share.ts). Only its own peers hear that: a browser's WebTorrent sends a tracker at most
// five offers per announce, so of ten visitors arriving together one or two may never connect to it, and they fetch
// their shares from the origin besides (three pages did in one run of five: 1.97 copies of a 128 MiB file). A page
// that heard the claim from the member making it passes it on to all its peers (`planktos_heard`, its extended
// handshake sent again), and the pages that did not hear it themselves wait for that page as they would for the
// member: it gets the pieces from the member. Only a claim heard first-hand is passed on, so it travels one hop and
// never comes back. A claim passed on is never withdrawn: a page that counts it waits for a page that is itself in the
// ordinary split once the claimant has gone silent, and so announces pieces.

/** Extended handshake key: the pieces this page fetches from the origin itself. */
export const FETCHES = 'planktos_fetches'
/** Extended handshake key: the pieces one of this page's peers said it fetches from the origin. */
export const HEARD = 'planktos_heard'

/** What claims.ts uses of a WebTorrent wire. */
export interface ClaimWire {
  readonly extendedHandshake: Record<string, unknown>
  readonly peerExtendedHandshake?: Record<string, unknown>
  on (event: 'extended', listener: (ext: string) => void): unknown
}

/**
 * A peer's claim as two piece numbers, or undefined for anything else bencode can decode (a comparison would coerce,
 * or throw on, whatever a peer sent): only such a claim counts, and only such a claim is passed on.
 */
export function claimedPieces (claim: unknown): [number, number] | undefined {
  return Array.isArray(claim) && typeof claim[0] === 'number' && typeof claim[1] === 'number' ? [claim[0], claim[1]] : undefined
}

/** A page's side of the claims: `add` each new wire; `claimOf` a wire: what its peer claims, as it sent it. */
export interface Claims {
  add (wire: ClaimWire): void
  claimOf (wire: ClaimWire): unknown
}

/**
 * Tells each new wire this page's claim (`own()`), or the first claim it heard first-hand, and passes such a claim on
 * to every wire once it hears it (`resend` sends a wire's extended handshake again).
 */
export function passClaims (wires: () => readonly ClaimWire[], own: () => [number, number] | undefined, resend: (wire: ClaimWire) => void): Claims {
  let heard: [number, number] | undefined
  // A page that claims, or heard a claim first-hand, counts no claim passed on: the pages passing on the claim it
  // heard wait for the claimant as it does, and none fetches. Counted as claimants, they would all wait for each other;
  // once the claimant went silent (its worker stopped, it left, it lied), each would count the others silent in turn,
  // be left alone in its split and fetch every piece from the origin (a helper's simulation, ten pages: 9.6 copies).
  const claimOf = (wire: ClaimWire): unknown => {
    const said = wire.peerExtendedHandshake
    return said?.[FETCHES] ?? (heard || own() ? undefined : said?.[HEARD])
  }
  const add = (wire: ClaimWire): void => {
    // Said in the extended handshake, which goes out before the bitfield: the peer knows before it decides anything.
    const mine = own()
    if (mine) wire.extendedHandshake[FETCHES] = mine
    else if (heard) wire.extendedHandshake[HEARD] = heard
    wire.on('extended', (ext) => {
      const claim = ext === 'handshake' && !heard && !own() ? claimedPieces(wire.peerExtendedHandshake?.[FETCHES]) : undefined
      if (!claim) return
      heard = claim
      for (const w of wires()) {
        if (w === wire || w.extendedHandshake[HEARD]) continue
        w.extendedHandshake[HEARD] = claim
        resend(w)
      }
    })
  }
  return { add, claimOf }
}
