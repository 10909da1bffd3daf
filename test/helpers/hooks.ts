// uvu fails a suite whose `before` hook throws without printing why; this prints the error first.

/** Wraps a hook so its error is printed before uvu swallows it. */
export function reported<C> (hook: (ctx: C) => Promise<void>): (ctx: C) => Promise<void> {
  return async (ctx) => {
    try {
      await hook(ctx)
    } catch (err) {
      console.error('\nsetup failed:', err)
      throw err
    }
  }
}
