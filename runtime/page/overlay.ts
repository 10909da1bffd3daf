// The debug overlay (runs in the page; option `debug`, or `#planktos-debug` in the URL): the `stats` event's
// numbers and the files the worker answered lately, live. File names come from the site and may hold markup:
// every string goes in through textContent, never as HTML. A shadow root keeps the site's CSS out of it.
import type { StatsDetail } from '../shared/messages.ts'

export const OVERLAY_ID = 'planktos-overlay'

const CSS = `:host{all:initial;position:fixed;z-index:2147483647;right:8px;bottom:8px;max-width:min(28em,90vw);
font:12px/1.4 ui-monospace,monospace;color:#eee;background:#111d;border-radius:6px;padding:6px 8px;box-shadow:0 1px 4px #0008}
b{font-weight:bold}button{all:unset;cursor:pointer;float:right;padding:0 4px}
ul{margin:4px 0 0;padding:0;list-style:none;max-height:12em;overflow:auto}li{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.store{color:#9cf}.peers{color:#9f9}.origin{color:#fc9}`

const kb = (n: number): string => n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`

function el<K extends keyof HTMLElementTagNameMap> (tag: K, text = '', className = ''): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag)
  e.textContent = text
  if (className) e.className = className
  return e
}

/** Shows the overlay; returns the function that draws a new detail in it. */
export function showOverlay (): (detail: StatsDetail) => void {
  const host = el('div')
  host.id = OVERLAY_ID
  const root = host.attachShadow({ mode: 'open' })
  const close = el('button', '×')
  close.title = 'Hide'
  close.onclick = () => host.remove()
  const summary = el('div')
  const list = el('ul')
  root.append(el('style', CSS), close, el('b', 'planktos'), summary, list)
  document.documentElement.append(host)

  return (d) => {
    const prefetch = d.downloader?.prefetch
    summary.replaceChildren(
      el('div', `store ${kb(d.store)} · peers ${kb(d.peers)} · origin ${kb(d.origin)}`),
      el('div', `sent ${kb(d.uploaded)} · ${d.connected} peers · ${d.shards} shards · ${d.verifyFailures} bad`),
      el('div', d.downloader?.p2p === false ? 'peer-to-peer off' : ''),
      el('div', prefetch && prefetch.state !== 'off' ? `prefetch ${prefetch.state}: ${prefetch.files} files, ${kb(prefetch.bytes)}` : '')
    )
    list.replaceChildren(...d.recent.map(f => {
      const item = el('li')
      item.append(el('span', f.source, f.source), ' ', f.path)
      return item
    }))
  }
}
