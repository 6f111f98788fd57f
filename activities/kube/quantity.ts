// Kubernetes resource quantities ("128Mi", "1.5Gi", "250m", "2", "1e3") as plain numbers.
// sim/controllers/quantity.ts has its own parser on purpose: the import boundary keeps the simulated
// cluster and the operator apart (neither imports the other), so the few lines are written twice.
const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The quantity's value in base units (bytes, cores), or undefined when it is not a quantity. */
export function parseQuantity(q: string | undefined): number | undefined {
  if (q === undefined) return undefined;
  const m = /^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$/.exec(q.trim());
  if (!m) return undefined;
  const factor = SUFFIX[m[2]!];
  const n = Number(m[1]);
  return factor === undefined || !Number.isFinite(n) ? undefined : n * factor;
}

export const bytes = (q: string | undefined): number | undefined => parseQuantity(q);

export function millicores(q: string | undefined): number | undefined {
  const cores = parseQuantity(q);
  return cores === undefined ? undefined : Math.round(cores * 1e6) / 1e3;
}
