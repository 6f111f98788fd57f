// Parsing of the few value shapes manifests use: Kubernetes quantities ("512Mi", "500m", "1.5"),
// durations ("30s", "2m", "1h30m") and rates ("8Mi/s", "120Mi/min"). Pure functions, so behaviour
// parameters parse the same way in the kubelet, the metrics source and the unit tests.

const binarySuffixes: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const decimalSuffixes: Record<string, number> = {
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
};

/** A quantity as a plain number of base units (bytes, cores); undefined when it does not parse. */
export function parseQuantity(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  const match = /^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
  if (!match) return undefined;
  const amount = Number(match[1]);
  const suffix = match[2] ?? '';
  const factor = binarySuffixes[suffix] ?? decimalSuffixes[suffix];
  return factor === undefined ? undefined : amount * factor;
}

/** Bytes from a memory quantity ("512Mi" → 536870912). */
export function parseBytes(value: string | number | undefined): number | undefined {
  return parseQuantity(value);
}

/** Millicores from a CPU quantity ("500m" → 500, "1" → 1000). */
export function parseMillicores(value: string | number | undefined): number | undefined {
  const cores = parseQuantity(value);
  return cores === undefined ? undefined : cores * 1000;
}

const durationUnits: Record<string, number> = { ms: 0.001, s: 1, m: 60, min: 60, h: 3600 };

/** Seconds from "30s", "2m", "1h30m", "250ms" or a bare number of seconds. */
export function parseDurationSeconds(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return value;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|min|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return undefined;
  return parts.reduce((sum, p) => sum + Number(p[1]) * (durationUnits[p[2] ?? ''] ?? 0), 0);
}

/** Bytes per second from "8Mi/s", "120Mi/min", "1Gi/h"; a bare quantity means per second. */
export function parseByteRate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const [amountText, perText] = value.split('/');
  const amount = parseBytes(amountText);
  if (amount === undefined) return undefined;
  const per = perText === undefined ? 1 : parseDurationSeconds(/^\d/.test(perText) ? perText : `1${perText}`);
  return per === undefined || per <= 0 ? undefined : amount / per;
}

/** "50%" → 0.5, "0.3" → 0.3; undefined otherwise. */
export function parseFraction(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  const n = text.endsWith('%') ? Number(text.slice(0, -1)) / 100 : Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/** Resolves an int-or-percent (PDB minAvailable, maxSurge …) against a total. */
export function resolveIntOrPercent(
  value: string | number | undefined,
  total: number,
  roundUp: boolean,
): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return value;
  if (!value.endsWith('%')) return Number.isFinite(Number(value)) ? Number(value) : undefined;
  const exact = (Number(value.slice(0, -1)) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}
