// Assembles the manifest: a small root index every visitor fetches, and one part per shard fetched on demand.
import { createHash } from 'node:crypto'
import { MANIFEST_VERSION, PLANKTOS_DIR, type FileEntry, type Manifest, type Routes, type RuntimeSettings, type ShardPart, type ShardRef } from '../../runtime/shared/manifest.ts'

export interface ShardBuild {
  infoHash: string
  /** The torrent's name: with the part's files and the piece hashes (written beside the .torrent) it makes the info dictionary. */
  name: string
  pieceLength: number
  files: FileEntry[]
  /** The security header sets the files' `headers` indices point into. */
  headers?: Array<Record<string, string>>
}

export interface ManifestInput {
  base: string
  site: string | null
  settings: RuntimeSettings
  shards: ShardBuild[]
  notFound: string | null
  /** Serve `/about` from `about.html` (the `cleanUrls` option). */
  cleanUrls: boolean
  /** Receives each file to write under the base (path relative to the base) as soon as it is made. */
  write: (path: string, json: string) => void
}

/** Builds the root manifest and shard parts; the build id hashes everything else in the root, so it changes exactly when content does. */
export function assembleManifest (input: ManifestInput): Manifest {
  const refs: ShardRef[] = input.shards.map(shard => {
    const part: ShardPart = {
      version: MANIFEST_VERSION,
      infoHash: shard.infoHash,
      name: shard.name,
      pieceLength: shard.pieceLength,
      files: shard.files
    }
    // Left out when empty, so a site without security headers keeps the parts (and build id) it had.
    if (shard.headers?.length) part.headers = shard.headers
    const json = JSON.stringify(part)
    // Named by content: a part changes when a page's subresource list does, even if no byte of the shard did.
    const partPath = `${PLANKTOS_DIR}p/${sha256(json).slice(0, 20)}.json`
    input.write(partPath, json)
    return {
      infoHash: shard.infoHash,
      torrent: `${PLANKTOS_DIR}t/${shard.infoHash}.torrent`,
      part: partPath,
      size: shard.files.reduce((sum, f) => sum + f.size, 0),
      files: shard.files.length,
      largest: Math.max(...shard.files.map(f => f.size)),
      first: shard.files[0]!.path,
      last: shard.files[shard.files.length - 1]!.path
    }
  })
  const body = { base: input.base, site: input.site, settings: input.settings, routes: routes(input.cleanUrls), notFound: input.notFound, shards: refs }
  const manifest: Manifest = { version: MANIFEST_VERSION, buildId: sha256(JSON.stringify({ version: MANIFEST_VERSION, ...body })), ...body }
  input.write(`${PLANKTOS_DIR}manifest.json`, JSON.stringify(manifest))
  return manifest
}

/** Only what a site needs is written, so sites without clean URLs keep the manifest (and build id) they had. */
function routes (cleanUrls: boolean): Routes {
  return cleanUrls ? { directoryIndex: 'index.html', extension: '.html' } : { directoryIndex: 'index.html' }
}

function sha256 (text: string): string {
  return createHash('sha256').update(text).digest('hex')
}
