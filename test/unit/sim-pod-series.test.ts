// The sim's /metrics/pods exposition, parsed back with a reader of the text format: the series
// carry the values metrics.k8s.io serves, the CPU counter integrates usage and starts again for a
// restarted container, and any label value survives escaping.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KObject } from '../../sim/contract.js';
import { writeExposition, type MetricFamily } from '../../sim/api/exposition.js';
import { CpuCounters, podSeries } from '../../sim/api/pod-series.js';
import { MemoryStore } from '../../sim/api/store.js';
import { createMetricsSource } from '../../sim/controllers/metrics.js';

interface Parsed {
  types: Record<string, string>;
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

/** A strict reader of the text format: every line is a comment of a known kind or a sample. */
function parseExposition(text: string): Parsed {
  expect(text.endsWith('\n')).toBe(true);
  const out: Parsed = { types: {}, samples: [] };
  for (const line of text.slice(0, -1).split('\n')) {
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge)$/.exec(line);
    if (type) out.types[type[1]!] = type[2]!;
    if (type || /^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$/.test(line)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    const body = m[2] ?? '';
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\[\\"n])*)"(,|$)/gy;
    let last = 0;
    for (let l = re.exec(body); l; l = re.exec(body)) {
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      last = re.lastIndex;
    }
    if (last !== body.length) throw new Error(`bad labels: ${JSON.stringify(body)}`);
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    if (m[3] !== 'NaN' && Number.isNaN(value)) throw new Error(`bad value: ${m[3]}`);
    out.samples.push({ name: m[1]!, labels, value });
  }
  return out;
}

const START = Date.parse('2026-01-01T00:00:00Z');

function leakingPod(store: MemoryStore, name: string, restartCount: number): KObject {
  const pod = store.create('core/v1/pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      annotations: {
        'sim.kubeskippy.io/behavior': 'memory-leak',
        'sim.kubeskippy.io/memory-start': '100Mi',
        'sim.kubeskippy.io/memory-leak-rate': '1Mi/s',
      },
    },
    spec: { containers: [{ name: 'app', image: 'app:1', resources: { limits: { memory: '1Gi' } } }] },
  });
  const running = { running: { startedAt: new Date(START).toISOString().replace('.000', '') } };
  pod.status = { containerStatuses: [{ name: 'app', ready: true, restartCount, state: running }] };
  return store.update('core/v1/pods', pod, { subresource: 'status' });
}

interface Cluster {
  store: MemoryStore;
  clock: { ms: number };
  metrics: ReturnType<typeof createMetricsSource>;
  scrape: () => Parsed;
}

function cluster(): Cluster {
  const clock = { ms: START };
  const store = new MemoryStore({ now: () => clock.ms });
  const metrics = createMetricsSource({ store, timeScale: 1, containerStartMs: () => START });
  const cpu = new CpuCounters();
  return {
    store,
    clock,
    metrics,
    scrape: () => parseExposition(writeExposition(podSeries({ store, metrics, cpu }))),
  };
}

const value = (p: Parsed, name: string, pod: string): number | undefined =>
  p.samples.find((s) => s.name === name && s.labels.pod === pod)?.value;

describe('sim /metrics/pods exposition', () => {
  it('serves the three families with namespace/pod/container labels and metrics.k8s.io values', () => {
    const { store, clock, metrics, scrape } = cluster();
    leakingPod(store, 'web-1', 2);
    clock.ms = START + 30_000;
    const parsed = scrape();
    expect(parsed.types).toEqual({
      container_memory_working_set_bytes: 'gauge',
      container_cpu_usage_seconds_total: 'counter',
      kube_pod_container_status_restarts_total: 'counter',
    });
    for (const s of parsed.samples)
      expect(s.labels).toEqual({ namespace: 'default', pod: 'web-1', container: 'app' });
    // What metrics.k8s.io serves at the same instant: about 100Mi + 30 s × 1Mi/s (varied per pod).
    const memory = value(parsed, 'container_memory_working_set_bytes', 'web-1')!;
    expect(memory).toBe(metrics.podUsage('default', 'web-1')![0]!.memoryBytes);
    expect(memory / 2 ** 20).toBeGreaterThan(120);
    expect(memory / 2 ** 20).toBeLessThan(140);
    expect(value(parsed, 'kube_pod_container_status_restarts_total', 'web-1')).toBe(2);
  });

  it('integrates CPU usage between reads, and starts again at zero for a restarted container', () => {
    const { store, clock, metrics, scrape } = cluster();
    const pod = leakingPod(store, 'web-1', 0);
    const usage = (): number => metrics.podUsage('default', 'web-1')![0]!.cpuMillicores / 1000;
    clock.ms = START + 10_000;
    const first = value(scrape(), 'container_cpu_usage_seconds_total', 'web-1')!;
    expect(first).toBeCloseTo(usage() * 10, 9);
    clock.ms = START + 12_000;
    const second = value(scrape(), 'container_cpu_usage_seconds_total', 'web-1')!;
    expect(second).toBeCloseTo(first + usage() * 2, 9);
    // The kubelet restarts the container: a new instance, restartCount 1, a counter from zero.
    pod.status.containerStatuses[0].restartCount = 1;
    pod.status.containerStatuses[0].state.running.startedAt = '2026-01-01T00:00:11Z';
    delete pod.metadata.resourceVersion;
    store.update('core/v1/pods', pod, { subresource: 'status' });
    clock.ms = START + 13_000;
    const reset = value(scrape(), 'container_cpu_usage_seconds_total', 'web-1')!;
    expect(reset).toBeCloseTo(usage() * 2, 9);
    expect(reset).toBeLessThan(second);
  });

  it('drops the series of a deleted pod, so Prometheus marks them stale', () => {
    const { store, clock, scrape } = cluster();
    leakingPod(store, 'web-1', 0);
    leakingPod(store, 'web-2', 0);
    clock.ms = START + 5_000;
    expect(new Set(scrape().samples.map((s) => s.labels.pod))).toEqual(new Set(['web-1', 'web-2']));
    store.delete('core/v1/pods', 'default', 'web-1', { gracePeriodSeconds: 0 });
    expect(new Set(scrape().samples.map((s) => s.labels.pod))).toEqual(new Set(['web-2']));
  });

  it('escapes any label value and help text so the reader gets it back', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.oneof(fc.double(), fc.constant(-0)), (label, help, v) => {
        const family: MetricFamily = {
          name: 'x_total',
          type: 'counter',
          help,
          series: [{ labels: { l: label }, value: v }],
        };
        const text = writeExposition([family]);
        expect(text.split('\n')).toHaveLength(4); // HELP, TYPE, the sample, and the final newline
        const [sample] = parseExposition(text).samples;
        expect(sample!.labels.l).toBe(label);
        expect(Object.is(sample!.value, v) || (Number.isNaN(v) && Number.isNaN(sample!.value))).toBe(true);
      }),
    );
  });
});
