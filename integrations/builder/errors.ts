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
    return new BuildError(`Could not ${action} "${path}": ${why}.`, { cause: err })
  }
}
