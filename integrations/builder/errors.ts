// The builder's one error type: a sentence for people, so the CLI and adapters can print it as it is.

export class BuildError extends Error {
  override name = 'BuildError'

  /** Turns a filesystem error into a sentence that names the file and says what to do. */
  static io (err: unknown, path: string, action: string): BuildError {
    const code = (err as NodeJS.ErrnoException)?.code
    const advice: Record<string, string> = {
      ENOENT: 'it disappeared while planktos was reading the folder; run the build again once the generator has finished',
      EACCES: 'permission denied; make it readable and writable by this user',
      EPERM: 'the operation is not permitted; check the folder\'s permissions',
      EROFS: 'the file system is read-only; build into a writable folder',
      ENOSPC: 'the disk is full; free some space',
      EISDIR: 'a folder stands where a file was expected',
      ENOTDIR: 'a file stands where a folder was expected'
    }
    const why = (code && advice[code]) || (err instanceof Error ? err.message : String(err))
    return new BuildError(`Could not ${action} ${quote(path)}: ${why}.`, { cause: err })
  }
}

// C0 and C1 controls (a newline, a terminal escape sequence) and the bidirectional overrides that reorder text.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

/**
 * A file name as it appears in a message: in double quotes, with every character that could move the cursor,
 * colour a terminal or reorder the line written as a \u escape, so a hostile name cannot forge or hide output.
 */
export function quote (name: string): string {
  return `"${name.replace(/["\\]/g, c => '\\' + c).replace(UNPRINTABLE, c => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'))}"`
}
