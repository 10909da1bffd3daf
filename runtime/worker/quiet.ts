// Store writes wait until the pages' requests are answered. An IndexedDB write transaction holds up every read of
// the same object stores that starts after it, so storing a page the origin just sent (or marking a file used)
// would make that page's stylesheet and scripts wait to be read from the store.

/** A page asks for its subresources within moments of getting the page: writes wait this long after the last answer. */
const QUIET = 100
/** A site that keeps asking (polling) must not keep its files out of the store: writes wait at most this long. */
const LONGEST = 2_000

let answering = 0
let last = 0

/** Counts an answer under way; call the returned function once it is answered. */
export function answerStarted (): () => void {
  answering++
  last = Date.now()
  let open = true
  return () => {
    if (!open) return
    open = false
    answering--
    last = Date.now()
  }
}

/** Resolves once no answer has been under way for QUIET ms, or after LONGEST ms. */
export async function quiet (): Promise<void> {
  const deadline = Date.now() + LONGEST
  for (;;) {
    const wait = answering > 0 ? QUIET : last + QUIET - Date.now()
    if (wait <= 0 || Date.now() >= deadline) return
    await new Promise(resolve => setTimeout(resolve, Math.min(wait, deadline - Date.now())))
  }
}
