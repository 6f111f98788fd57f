// PromQL triggers: one instant query per distinct query string and snapshot, joined to pods by the
// `namespace` and `pod` labels of each sample (what kube-state-metrics and cAdvisor series carry).
// What a real Prometheus answers that a per-pod trigger cannot use is said, not dropped in silence:
// a scalar or range vector is an error, and samples without namespace/pod labels are counted.
export interface PromSample {
  namespace: string;
  pod: string;
  value: number;
}

export interface PromResult {
  /** One per pod: where several series name the same pod (containers), the largest value. */
  samples: PromSample[];
  /** Samples without both a `namespace` and a `pod` label (e.g. `sum(...)` without `by (pod)`). */
  unlabelled: number;
}

interface PromResponse {
  status: string;
  errorType?: string;
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

/** The query endpoint under the base URL, keeping its path (a --web.route-prefix, a proxy path). */
export function queryUrl(baseUrl: string, query: string): URL {
  const url = new URL(baseUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/api/v1/query`;
  url.search = '';
  url.searchParams.set('query', query);
  return url;
}

async function readResponse(res: Response): Promise<PromResponse> {
  const text = await res.text();
  try {
    return JSON.parse(text) as PromResponse;
  } catch {
    // An HTML page or a proxy's error: not a Prometheus API at this URL.
    const snippet = text.replace(/\s+/g, ' ').slice(0, 80);
    throw new Error(`not a Prometheus API answer (${res.status}): "${snippet}"`);
  }
}

/** Cannot be joined to pods: say why, and what to write instead. */
const NOT_A_VECTOR: Record<string, string> = {
  scalar: 'a scalar, not one value per pod',
  string: 'a string, not one value per pod',
  matrix: 'a range vector; wrap it in a function over time, e.g. max_over_time(...[5m])',
};

export async function queryPrometheus(baseUrl: string, query: string, timeoutMs = 5000): Promise<PromResult> {
  const res = await fetch(queryUrl(baseUrl, query), { signal: AbortSignal.timeout(timeoutMs) });
  const body = await readResponse(res);
  if (!res.ok || body.status !== 'success') {
    const kind = body.errorType ? `${body.errorType}: ` : '';
    throw new Error(`Prometheus query failed (${res.status}): ${kind}${body.error ?? 'unknown error'}`);
  }
  const type = body.data?.resultType ?? 'none';
  if (type !== 'vector') throw new Error(`the result is ${NOT_A_VECTOR[type] ?? type}`);
  const byPod = new Map<string, PromSample>();
  let unlabelled = 0;
  for (const r of body.data!.result) {
    const { namespace, pod } = r.metric;
    const value = Number(r.value[1]);
    if (!namespace || !pod) unlabelled++;
    // NaN and ±Inf (a division by zero) are no sample, as a missing series is.
    if (!namespace || !pod || !Number.isFinite(value)) continue;
    const key = `${namespace}/${pod}`;
    const prev = byPod.get(key);
    if (!prev || value > prev.value) byPod.set(key, { namespace, pod, value });
  }
  return { samples: [...byPod.values()], unlabelled };
}
