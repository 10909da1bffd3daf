// A real audio file for the example sites, made by code so the repository carries no binary media:
// a 16-bit stereo PCM WAV of a short tune, the same bytes on every run (so its torrent stays the same).
// Run as a script to write it to a file: node sites/shared/make-media.ts out.wav
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

const RATE = 44100
const CHANNELS = 2
// A slow arpeggio (A minor, F, C, G), one note every half second, about 2.8 MB over 16 seconds.
const NOTES = [220, 261.63, 329.63, 261.63, 174.61, 220, 261.63, 220, 261.63, 329.63, 392, 329.63, 196, 246.94, 293.66, 246.94]
const NOTE_SECONDS = 0.5
const LOOPS = 2

/** A 16-bit stereo 44.1 kHz PCM WAV file of `dataBytes` sample bytes, all silent: the caller writes them from 44 on. */
export function silentWav (dataBytes: number): Buffer {
  const out = Buffer.alloc(44 + dataBytes)
  // RIFF header, then one 'fmt ' chunk (PCM) and one 'data' chunk.
  out.write('RIFF', 0, 'ascii')
  out.writeUInt32LE(36 + dataBytes, 4)
  out.write('WAVEfmt ', 8, 'ascii')
  out.writeUInt32LE(16, 16)
  out.writeUInt16LE(1, 20)
  out.writeUInt16LE(CHANNELS, 22)
  out.writeUInt32LE(RATE, 24)
  out.writeUInt32LE(RATE * CHANNELS * 2, 28)
  out.writeUInt16LE(CHANNELS * 2, 32)
  out.writeUInt16LE(16, 34)
  out.write('data', 36, 'ascii')
  out.writeUInt32LE(dataBytes, 40)
  return out
}

/** The tune as a complete WAV file. */
export function tuneWav (): Uint8Array {
  const noteFrames = Math.round(NOTE_SECONDS * RATE)
  const frames = noteFrames * NOTES.length * LOOPS
  const out = silentWav(frames * CHANNELS * 2)
  let offset = 44
  for (let frame = 0; frame < frames; frame++) {
    const hz = NOTES[Math.floor(frame / noteFrames) % NOTES.length]!
    const t = (frame % noteFrames) / RATE
    // A soft attack and an exponential decay keep the notes from clicking.
    const envelope = Math.min(1, t / 0.01) * Math.exp(-3 * t)
    const tone = Math.sin(2 * Math.PI * hz * t) + 0.3 * Math.sin(4 * Math.PI * hz * t)
    const sample = Math.round(0.35 * 32767 * envelope * tone / 1.3)
    // Left and right differ slightly, so the file is really stereo.
    out.writeInt16LE(sample, offset)
    out.writeInt16LE(Math.round(sample * 0.8), offset + 2)
    offset += 4
  }
  return out
}

if (import.meta.main) {
  const target = process.argv[2]
  if (!target) {
    console.error('usage: node sites/shared/make-media.ts <file.wav>')
    process.exit(1)
  }
  mkdirSync(dirname(target), { recursive: true })
  writeFileSync(target, tuneWav())
}
