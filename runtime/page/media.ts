// The site's media elements, which the builder holds back with preload="none" (integrations/builder/html.ts), get
// their own preload back: a first page's would otherwise load their files from the origin while the page is parsed,
// before any worker could answer them from peers (on a fast link a `metadata` preload takes the whole file).
import { MEDIA_MARK } from '../shared/media-mark.ts'

/**
 * Restores every held-back media element of the page, now and as the parser or a script adds more: install.js is
 * async (it may run before the body is parsed), and a client-side router (Astro's ClientRouter, Turbo) swaps in the
 * next page's elements without running install.js again. Called once per page.
 */
export const restoreMedia = (): void => {
  const restore = (): void => {
    for (const m of document.querySelectorAll(`[${MEDIA_MARK}]`)) {
      const preload = m.getAttribute(MEDIA_MARK)
      m.removeAttribute(MEDIA_MARK)
      // Unless a script of the page chose a preload meanwhile. Changing preload from none starts the load the
      // element held back, in Chromium, Firefox and WebKit alike.
      if (m.getAttribute('preload') !== 'none') continue
      if (preload) m.setAttribute('preload', preload)
      else m.removeAttribute('preload')
    }
  }
  restore()
  new MutationObserver(restore).observe(document, { childList: true, subtree: true })
}
