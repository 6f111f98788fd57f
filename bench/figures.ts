// Small statistics and printing helpers shared by the bench sections.
export function percentile(values: number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export const round = (v: number | undefined, digits = 1): number | undefined =>
  v === undefined || !Number.isFinite(v) ? undefined : Number(v.toFixed(digits));

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const rssMb = (): number => Math.round(process.memoryUsage().rss / 2 ** 20);

export function log(line: string): void {
  console.log(line);
}

/** Polls until `fn` is truthy or the deadline passes; returns the last value either way. */
export async function waitUntil<T>(fn: () => T | Promise<T>, timeoutMs: number, everyMs = 200): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last = await fn();
  while (!last && Date.now() < end) {
    await sleep(everyMs);
    last = await fn();
  }
  return last;
}
