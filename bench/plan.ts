// What one `npm run bench` measures. The quick plan (the default) answers every goal of the benchmark in minutes on a
// small machine: offload at N = 8 on one example site, the far-origin first and repeat visits, the tracker's rate,
// sizes and the 2017 anchor. The full plan (`npm run bench full`) adds the other sites and paths (the audio page, the
// 43 MB media site), the loopback visits, offload behind the far link and the 500 MiB build benchmark; it took over an
// hour here. Figures of the two plans are the same measurements, only over fewer sites, paths and announces.

export type Mode = 'quick' | 'full'

/** One path of one site: every page (`all`), or every page but the example sites' audio page (`no-audio`). */
export interface PathChoice { site: string, pages: 'all' | 'no-audio' }

export interface Plan {
  mode: Mode
  /** Visitors for offload; the goal is stated for N = 8. */
  n: number
  /** Runs per variant for first and repeat visits (medians). */
  runs: number
  tracker: { connections: number, perConnection: number }
  offload: PathChoice[]
  /** Sites of the loopback first/repeat visits (their times are judged by nobody). */
  visits: string[]
  far: { offload: PathChoice[], visits: string[] }
  anchor: { site: string, pages: string[], visitors: number }
}

const ANCHOR = { site: 'eleventy', pages: ['', 'about/', 'blog/'], visitors: 2 }

export const PLANS: Record<Mode, Omit<Plan, 'n' | 'runs'> & { runs: number }> = {
  quick: {
    mode: 'quick',
    runs: 3,
    tracker: { connections: 20, perConnection: 500 },
    offload: [{ site: 'eleventy', pages: 'no-audio' }],
    visits: [],
    far: { offload: [], visits: ['eleventy'] },
    anchor: ANCHOR
  },
  full: {
    mode: 'full',
    runs: 3,
    tracker: { connections: 20, perConnection: 2000 },
    offload: [
      { site: 'eleventy', pages: 'all' },
      { site: 'eleventy', pages: 'no-audio' },
      { site: 'astro', pages: 'no-audio' },
      { site: 'media', pages: 'all' }
    ],
    visits: ['astro', 'eleventy', 'media'],
    far: { offload: [{ site: 'eleventy', pages: 'no-audio' }, { site: 'media', pages: 'all' }], visits: ['eleventy', 'media'] },
    anchor: ANCHOR
  }
}

/** The plan for `mode`, with PLANKTOS_BENCH_N and PLANKTOS_BENCH_RUNS applied when set. */
export function planOf (mode: Mode, env: NodeJS.ProcessEnv = process.env): Plan {
  const base = PLANS[mode]
  const n = Number(env.PLANKTOS_BENCH_N ?? 8)
  const runs = Number(env.PLANKTOS_BENCH_RUNS ?? base.runs)
  if (!Number.isInteger(n) || n < 2) throw new Error(`bench: PLANKTOS_BENCH_N must be a whole number of at least 2, not "${env.PLANKTOS_BENCH_N}".`)
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`bench: PLANKTOS_BENCH_RUNS must be a whole number of at least 1, not "${env.PLANKTOS_BENCH_RUNS}".`)
  return { ...base, n, runs }
}

/** The sites a plan browses, so only those are prepared. */
export function sitesOf (plan: Plan, parts: (name: string) => boolean): string[] {
  const names = new Set<string>()
  // The bill is measured on both example sites in either plan.
  if (parts('bill')) for (const s of ['astro', 'eleventy']) names.add(s)
  if (parts('offload')) for (const p of plan.offload) names.add(p.site)
  if (parts('visits')) for (const s of plan.visits) names.add(s)
  if (parts('far')) {
    for (const p of plan.far.offload) names.add(p.site)
    for (const s of plan.far.visits) names.add(s)
  }
  if (parts('anchor')) names.add(plan.anchor.site)
  return [...names]
}
