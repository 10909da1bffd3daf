// Replaces WebTorrent's lib/rarity-map.js, which counts per piece how many peers have it, for the 'rarest' piece
// strategy only. The downloader keeps WebTorrent's default 'sequential' strategy, which never asks it; the real one
// still listens to every wire's bitfield and have messages and recounts on them.
export default class RarityMap {
  getRarestPiece () { return -1 }
  destroy () {}
}
