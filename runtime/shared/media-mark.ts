// The mark between the builder and install.js on a media element held back until the worker can answer it.
// Runs everywhere: a constant only.

/**
 * On a media element the builder held back with `preload="none"`: the element's own `preload`, empty when it had
 * none. install.js puts it back once the worker can answer the element (runtime/page/media.ts).
 */
export const MEDIA_MARK = 'data-planktos-preload'
