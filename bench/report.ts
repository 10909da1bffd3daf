// Markdown tables for the terminal and the README, and the offload chart's series, from the results of one run.
import { offloadChart, type Panel } from './chart.ts'
import type { Anchor2017 } from './planktos-2017.ts'
import type { Size } from './sizes.ts'
import type { PathResult, VisitResult } from './visitors-bench.ts'

const x = (r: number): string => `${r.toFixed(2)}×`
const pct = (r: number): string => `${(100 * r).toFixed(1)}%`
const kb = (b: number): string => `${(b / 1000).toFixed(1)} kB`

export function offloadTable (results: PathResult[]): string {
  const rows = results.map(r => {
    const s = r.summary
    return `| ${r.label} | ${r.path.length} | ${kb(r.plainVisitBytes)} | ${x(s.siteBytesInPlainVisits.plain)} | ${x(s.siteBytesInPlainVisits.online)} / ${x(s.siteBytesInPlainVisits.churn)} | ${x(s.siteBytesAfterFirstPagesInPlainVisits.online)} / ${x(s.siteBytesAfterFirstPagesInPlainVisits.churn)} | ${pct(s.peerEfficiency.online)} / ${pct(s.peerEfficiency.churn)} (limit ${pct(s.peerEfficiency.limit)}) | ${kb(s.overheadPerVisitor.firstPageSiteBytes)} + ${kb(s.overheadPerVisitor.planktosBytes)} in ${s.overheadPerVisitor.planktosRequests} req. |`
  })
  return [
    '| site (path) | pages | 1 plain visit (abs.) | origin site bytes, N plain visitors | with planktos: online / churn | same, visitors 2..N\'s first pages left out (goal ≤ 1.30×) | peer efficiency after first pages: online / churn | per-visitor overhead (abs., median): first page + planktos files |',
    '|---|---|---|---|---|---|---|---|',
    ...rows
  ].join('\n')
}

export function visitTable (results: VisitResult[], title: string): string {
  const rows = results.flatMap(r => (['first', 'repeat'] as const).map(k => {
    const v = r[k]
    return `| ${r.label} | ${k} | ${x(v.ratio.loadMs)} (${v.planktos.loadMs} / ${v.plain.loadMs} ms) | ${x(v.ratio.firstPageMs)} | ${x(v.ratio.originBytes)} (${kb(v.planktos.originBytes)} / ${kb(v.plain.originBytes)}) | ${x(v.ratio.originRequests)} (${v.planktos.originRequests} / ${v.plain.originRequests}) |`
  }))
  return [
    `${title}: planktos ÷ plain, medians of ${results[0]?.runs ?? 0} interleaved runs (absolute figures of this machine in brackets: planktos / plain)`,
    '',
    '| site | visit | load-event time, all pages | first page | origin bytes (all files) | origin requests |',
    '|---|---|---|---|---|---|',
    ...rows
  ].join('\n')
}

export function sizesTable (ours: { entries: Size[], webtorrent: Size }, old: Size[] | null): string {
  const rows = ours.entries.map(s => `| ${s.file} | ${s.raw} | ${s.brotli} |`)
  rows.push(`| (of which WebTorrent, built alone the same way) | ${ours.webtorrent.raw} | ${ours.webtorrent.brotli} |`)
  if (old) rows.push(...old.map(s => `| 2017 planktos: ${s.file} | ${s.raw} | ${s.brotli} |`))
  return ['| runtime file (absolute bytes) | raw | brotli |', '|---|---|---|', ...rows].join('\n')
}

export function anchorTable (a: Anchor2017, ours: PathResult | undefined): string {
  if (!a.installed) return `2017 planktos: not measured (${a.error})`
  const rows = a.visitors.map((v, i) => {
    const loaded = v.pages.filter(p => p.loadMs !== null).length
    const hung = v.pages.filter(p => p.hung).map(p => `${p.url || 'home'} (open: ${p.hung!.join(', ') || 'nothing'})`)
    return `| 2017 visitor ${i + 1} | ${loaded}/${v.pages.length} | ${a.plainVisitBytes ? x(v.originSiteBytes / a.plainVisitBytes) : '–'} | ${kb(v.originPlanktosBytes)} | ${hung.join('; ') || '–'} |`
  })
  if (ours) {
    for (const [i, v] of ours.runs.find(r => r.variant === 'planktos' && !r.churn)!.visitors.slice(0, a.visitors.length).entries()) {
      rows.push(`| planktos-web visitor ${i + 1} (same site, same path) | ${ours.path.length}/${ours.path.length} | ${x(v.all.siteBytes / ours.plainVisitBytes)} | ${kb(v.all.planktosBytes)} | – |`)
    }
  }
  return [
    '| visitor | pages loaded | origin site bytes ÷ 1 plain visit | planktos files from the origin (abs.) | navigations that hung (20 s), with the requests still open |',
    '|---|---|---|---|---|',
    ...rows
  ].join('\n')
}

/** One panel per measured path; y is origin site-file bytes ÷ one plain visit. */
export function chartOf (results: PathResult[], caption: string): string {
  const panels: Panel[] = results.map(r => {
    const per = (churn: boolean | 'plain'): number[] => {
      const run = r.runs.find(x => churn === 'plain' ? x.variant === 'plain' : x.variant === 'planktos' && x.churn === churn)!
      return run.cumulativeSiteBytes.map(b => b / r.plainVisitBytes)
    }
    return {
      title: r.label,
      series: [
        { label: 'without planktos', color: '#888', points: per('plain') },
        { label: 'planktos, visitors stay online', color: '#1f77b4', points: per(false) },
        { label: 'planktos, churn (only the previous visitor online)', color: '#ff7f0e', points: per(true) },
        { label: 'limit at peer efficiency (k−1)/k: one plain visit', color: '#2ca02c', dashed: true, points: r.runs[0]!.cumulativeSiteBytes.map(() => 1) }
      ]
    }
  })
  return offloadChart(panels, caption)
}

/**
 * tables.md after a run of some parts only: each `### ` section the run wrote replaces the one of the same title
 * (or is added before the closing line), headed by when and where it was measured; the other sections stay.
 */
export function mergeTables (previous: string, fresh: string[], measured: string): string {
  const closing = /\n\n(Whole run[^\n]*)\n*$/.exec(previous)
  const body = closing ? previous.slice(0, closing.index) : previous.trimEnd()
  const [head = '', ...sections] = body.split(/\n\n(?=### )/)
  const title = (s: string): string => s.slice(0, s.indexOf('\n'))
  for (const s of fresh.filter(s => s.startsWith('### '))) {
    const dated = s.replace('\n\n', `\n\n${measured}\n\n`)
    const at = sections.findIndex(old => title(old) === title(s))
    if (at >= 0) sections[at] = dated
    else sections.push(dated)
  }
  return [head, ...sections, ...closing ? [closing[1]!] : []].join('\n\n') + '\n'
}
