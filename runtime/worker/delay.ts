/** Resolves `false` after `ms`, so a race against it never mistakes the timeout for an answer or for `undefined`. */
export function delay (ms: number): Promise<false> {
  return new Promise(resolve => setTimeout(() => resolve(false), ms))
}
