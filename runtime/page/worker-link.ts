// Messages from the downloader to the worker (runs in the page).
import type { Message } from '../shared/messages.ts'

/** Posts to the worker that controls this page, or to the site's active worker while none does yet. */
export async function toWorker (message: Message): Promise<void> {
  const sw = navigator.serviceWorker
  if (!sw) return
  const target = sw.controller ?? (await sw.getRegistration())?.active
  target?.postMessage(message)
}
