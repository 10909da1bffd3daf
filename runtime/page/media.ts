// The site's media elements, which the builder holds back with preload="none" (integrations/builder/html.ts), get
// their own preload back: a first page's would otherwise load their files from the origin while the page is parsed,
// before any worker could answer them from peers (on a fast link a `metadata` preload takes the whole file).
import { MEDIA_MARK } from '../shared/manifest.ts'

/** Restores every held-back media element of the page, once it is parsed (install.js is async: it may run sooner). */
export const restoreMedia = (): void => {
  if (document.readyState === 'loading') return addEventListener('DOMContentLoaded', restoreMedia)
  for (const m of document.querySelectorAll(`[${MEDIA_MARK}]`)) {
    const preload = m.getAttribute(MEDIA_MARK)
    m.removeAttribute(MEDIA_MARK)
    // Changing preload from none starts the load the element held back, in Chromium and Firefox alike.
    if (preload) m.setAttribute('preload', preload)
    else m.removeAttribute('preload')
  }
}
