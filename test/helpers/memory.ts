// Chromium's live JavaScript memory of a page and its service worker, through CDP, for tests that bound it.
import type { Browser, CDPSession, Page } from 'playwright-core'

type Call = (method: string) => Promise<Record<string, number>>

/**
 * Chromium only: live memory of the page's and the service worker's JavaScript (heap, embedder heap and ArrayBuffer
 * backing stores) right after a garbage collection in each, so garbage waiting for the collector does not count.
 */
export async function liveMemory (browser: Browser, page: Page): Promise<() => Promise<number>> {
  const pageSession = await page.context().newCDPSession(page)
  const callPage: Call = method => pageSession.send(method as 'Runtime.getHeapUsage') as Promise<Record<string, number>>
  // Playwright has no session for a service worker: talk to it through the browser's target messages.
  const root: CDPSession = await browser.newBrowserCDPSession()
  const { targetInfos } = await root.send('Target.getTargets')
  const sw = targetInfos.find(t => t.type === 'service_worker' && t.url.startsWith(new URL(page.url()).origin))
  if (!sw) throw new Error('no service worker target')
  const { sessionId } = await root.send('Target.attachToTarget', { targetId: sw.targetId, flatten: false })
  let id = 0
  const replies = new Map<number, (r: Record<string, number>) => void>()
  root.on('Target.receivedMessageFromTarget', (e) => {
    const m = JSON.parse(e.message) as { id?: number, result?: Record<string, number> }
    if (m.id !== undefined) replies.get(m.id)?.(m.result ?? {})
  })
  const callWorker: Call = method => new Promise(resolve => {
    replies.set(++id, resolve)
    void root.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method }) })
  })
  const live = async (call: Call): Promise<number> => {
    await call('HeapProfiler.collectGarbage')
    const u = await call('Runtime.getHeapUsage')
    return (u.usedSize ?? 0) + (u.embedderHeapUsedSize ?? 0) + (u.backingStorageSize ?? 0)
  }
  return async () => (await live(callPage)) + (await live(callWorker))
}

