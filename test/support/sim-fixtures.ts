// Builders and polling helpers for tests of the simulated cluster.
import type { KObject } from '../../sim/contract.js';

export interface WorkloadOptions {
  namespace?: string;
  replicas?: number;
  /** sim.kubeskippy.io/* behaviour parameters, without the prefix. */
  behaviour?: Record<string, string>;
  limits?: Record<string, string>;
  labels?: Record<string, string>;
  strategy?: Record<string, unknown>;
  restartPolicy?: 'Always' | 'OnFailure' | 'Never';
}

function template(name: string, o: WorkloadOptions): Record<string, unknown> {
  const annotations = Object.fromEntries(
    Object.entries(o.behaviour ?? {}).map(([k, v]) => [`sim.kubeskippy.io/${k}`, v]),
  );
  return {
    metadata: { labels: { app: name, ...o.labels }, annotations },
    spec: {
      ...(o.restartPolicy ? { restartPolicy: o.restartPolicy } : {}),
      containers: [
        {
          name: 'app',
          image: 'busybox:1.36',
          resources: { limits: o.limits ?? { memory: '256Mi', cpu: '500m' } },
        },
      ],
    },
  };
}

export function deployment(name: string, o: WorkloadOptions = {}): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: o.namespace ?? 'default' },
    spec: {
      replicas: o.replicas ?? 1,
      selector: { matchLabels: { app: name } },
      ...(o.strategy ? { strategy: o.strategy } : {}),
      template: template(name, o),
    },
  };
}

export function statefulSet(name: string, o: WorkloadOptions = {}): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: o.namespace ?? 'default' },
    spec: {
      replicas: o.replicas ?? 1,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: template(name, o),
    },
  };
}

/** A ClusterIP Service selecting `selector` (no selector: endpoints are made by hand). */
export function service(name: string, selector?: Record<string, string>, namespace = 'default'): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { ...(selector ? { selector } : {}), ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  };
}

export function pdb(
  name: string,
  selector: Record<string, string>,
  spec: Record<string, unknown>,
  namespace = 'default',
): KObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace },
    spec: { selector: { matchLabels: selector }, ...spec },
  };
}

type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

/** Polls `probe` until it returns something truthy; fails with the last value seen. */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  what: string,
  timeoutMs = 10_000,
  everyMs = 25,
): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    try {
      last = await probe();
      if (last) return last as Truthy<T>;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)?.slice(0, 300)})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * One replica that crash-loops: it exits `crashAfter` (behaviour time) after each start. Small
 * memory and explicit limits, so the engine tests that heal it differ only in when it crashes.
 */
export function crashLoopingDeployment(name: string, crashAfter: string): KObject {
  return deployment(name, {
    replicas: 1,
    behaviour: { behavior: 'crashloop', 'crash-after': crashAfter, 'memory-start': '8Mi' },
    limits: { memory: '128Mi', cpu: '200m' },
  });
}

/** A patch action body that turns a Deployment's pods healthy (only the template annotations). */
export const patchToHealthy = {
  type: 'strategic',
  patch: JSON.stringify({
    spec: { template: { metadata: { annotations: { 'sim.kubeskippy.io/behavior': 'healthy' } } } },
  }),
  allowedPaths: ['/spec/template/metadata/annotations'],
};
