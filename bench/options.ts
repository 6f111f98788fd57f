// What `npm run bench` measures and how big, from the environment (the bench is a tool, not the
// operator, so it reads process.env itself). BENCH_QUICK=1 is a small run of a few minutes;
// without it the sizes are the (1,000 policies on two shared cores takes a long while).
export interface BenchOptions {
  quick: boolean;
  /** Sections to run, e.g. BENCH_ONLY=p2,p3; default all. */
  only: Set<string> | undefined;
  simPods: number;
  p1Pods: number;
  /** Pods go bad at random moments within this window. */
  p1SpreadMs: number;
  p2Pods: number;
  p2Triggers: number;
  p2Ticks: number;
  p3Ticks: number;
  p4Policies: number[];
  /** How long each policy count runs once every policy has been evaluated. */
  p4MeasureMs: number;
  p5Targets: number;
  /** P6: idle policies (× 10 pods, P4's), worker process counts, the lag window, the burst's targets. */
  p6Policies: number;
  p6Workers: number[];
  p6MeasureMs: number;
  p6Targets: number;
}

const list = (name: string, fallback: number[]): number[] => {
  const v = process.env[name];
  const xs = v
    ? v
        .split(',')
        .map(Number)
        .filter((n) => Number.isInteger(n) && n > 0)
    : [];
  return xs.length > 0 ? xs : fallback;
};

const num = (name: string, fallback: number): number => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};

export function benchOptions(): BenchOptions {
  const quick = process.env['BENCH_QUICK'] === '1';
  const only = process.env['BENCH_ONLY'];
  const p4 = process.env['BENCH_P4_POLICIES'];
  return {
    quick,
    only: only ? new Set(only.split(',').map((s) => s.trim())) : undefined,
    simPods: num('BENCH_SIM_PODS', quick ? 1000 : 3000),
    p1Pods: num('BENCH_P1_PODS', quick ? 6 : 20),
    p1SpreadMs: num('BENCH_P1_SPREAD_MS', quick ? 30_000 : 120_000),
    p2Pods: num('BENCH_P2_PODS', 10_000),
    p2Triggers: num('BENCH_P2_TRIGGERS', 10),
    p2Ticks: num('BENCH_P2_TICKS', quick ? 3 : 10),
    p3Ticks: num('BENCH_P3_TICKS', quick ? 60 : 1000),
    p4Policies: p4
      ? p4
          .split(',')
          .map(Number)
          .filter((n) => n > 0)
      : quick
        ? [10, 100]
        : [10, 100, 1000],
    p4MeasureMs: num('BENCH_P4_MEASURE_MS', quick ? 45_000 : 120_000),
    p5Targets: num('BENCH_P5_TARGETS', quick ? 20 : 50),
    p6Policies: num('BENCH_P6_POLICIES', quick ? 100 : 1000),
    p6Workers: list('BENCH_P6_WORKERS', [1, 2, 4]),
    p6MeasureMs: num('BENCH_P6_MEASURE_MS', quick ? 30_000 : 60_000),
    p6Targets: num('BENCH_P6_TARGETS', quick ? 20 : 100),
  };
}

export const wanted = (opts: BenchOptions, section: string): boolean => !opts.only || opts.only.has(section);
