// The offload chart as a hand-written SVG: per site, origin site-file bytes (in plain visits) after k visitors, with
// and without planktos, and the limit that peer efficiency (k−1)/k allows: one plain visit, whatever k.

export interface Series { label: string, color: string, dashed?: boolean, points: number[] }
export interface Panel { title: string, series: Series[] }

const W = 300
const H = 240
const MIN_WIDTH = 680
const PAD = { left: 44, right: 12, top: 28, bottom: 36 }

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;')

function panel (p: Panel, x0: number, yMax: number): string {
  const n = Math.max(...p.series.map(s => s.points.length))
  const px = (k: number): number => x0 + PAD.left + (k - 1) / Math.max(1, n - 1) * (W - PAD.left - PAD.right)
  const py = (v: number): number => PAD.top + (1 - v / yMax) * (H - PAD.top - PAD.bottom)
  const out: string[] = [`<text x="${x0 + W / 2}" y="16" text-anchor="middle" font-weight="bold">${esc(p.title)}</text>`]
  const step = yMax > 20 ? 5 : yMax > 10 ? 2 : 1
  for (let v = 0; v <= yMax; v += step) {
    out.push(`<line x1="${px(1)}" x2="${px(n)}" y1="${py(v)}" y2="${py(v)}" stroke="#ddd"/>`)
    out.push(`<text x="${x0 + PAD.left - 6}" y="${py(v) + 4}" text-anchor="end">${v}</text>`)
  }
  for (let k = 1; k <= n; k++) out.push(`<text x="${px(k)}" y="${H - PAD.bottom + 16}" text-anchor="middle">${k}</text>`)
  out.push(`<text x="${x0 + PAD.left + (W - PAD.left - PAD.right) / 2}" y="${H - 4}" text-anchor="middle">visitors</text>`)
  for (const s of p.series) {
    const d = s.points.map((v, i) => `${i ? 'L' : 'M'}${px(i + 1).toFixed(1)},${py(Math.min(v, yMax)).toFixed(1)}`).join(' ')
    out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>`)
    for (const [i, v] of s.points.entries()) out.push(`<circle cx="${px(i + 1).toFixed(1)}" cy="${py(Math.min(v, yMax)).toFixed(1)}" r="2.5" fill="${s.color}"/>`)
  }
  return out.join('\n')
}

/** Panels side by side with one legend, each with its own y scale; y is origin site-file bytes ÷ one plain visit's. */
export function offloadChart (panels: Panel[], caption: string): string {
  const top = (p: Panel): number => Math.ceil(Math.max(1, ...p.series.flatMap(s => s.points)))
  const legend = panels[0]?.series ?? []
  // Wide enough for the caption and the legend's longest label even with a single panel (the quick plan's).
  const width = Math.max(W * panels.length, MIN_WIDTH)
  const height = H + 26 + 18 * legend.length
  const body = panels.map((p, i) => panel(p, i * W, top(p))).join('\n')
  const keys = legend.map((s, i) => {
    const y = H + 18 + 18 * i
    return `<line x1="${PAD.left}" x2="${PAD.left + 26}" y1="${y}" y2="${y}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/><text x="${PAD.left + 32}" y="${y + 4}">${esc(s.label)}</text>`
  }).join('\n')
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + 18}" viewBox="0 0 ${width} ${height + 18}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
<text x="6" y="${height + 12}" fill="#555">${esc(caption)}</text>
<g transform="translate(0,0)">
<text transform="translate(10,${H / 2}) rotate(-90)" text-anchor="middle">origin site bytes ÷ 1 plain visit</text>
</g>
${body}
${keys}
</svg>
`
}
