// The measurements KubeSkippy computes itself from metrics.k8s.io and pod status (no Prometheus).
// A leaf with no imports, so both the schema (which refuses comparisons that always or never hold
// for them) and the domain (which samples them) use the one list.
export const BUILTIN_QUERIES = [
  'memory_usage_percent',
  'cpu_usage_percent',
  'memory_usage_bytes',
  'cpu_usage_millicores',
  'restart_count',
] as const;
export type BuiltinQuery = (typeof BUILTIN_QUERIES)[number];
