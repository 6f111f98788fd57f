// PromQL triggers: one instant query per distinct query string, joined to pods by the `namespace`
// and `pod` labels of each sample (what kube-state-metrics and cAdvisor series carry).
export interface PromSample {
  namespace: string;
  pod: string;
  value: number;
}

interface PromResponse {
  status: string;
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

export async function queryPrometheus(
  baseUrl: string,
  query: string,
  timeoutMs = 5000,
): Promise<PromSample[]> {
  const url = new URL('/api/v1/query', baseUrl);
  url.searchParams.set('query', query);
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const body = (await res.json()) as PromResponse;
  if (!res.ok || body.status !== 'success') {
    throw new Error(`Prometheus query failed (${res.status}): ${body.error ?? 'unknown error'}`);
  }
  if (body.data?.resultType !== 'vector') return [];
  return body.data.result.flatMap((r) => {
    const { namespace, pod } = r.metric;
    const value = Number(r.value[1]);
    return namespace && pod && Number.isFinite(value) ? [{ namespace, pod, value }] : [];
  });
}
