// Simulated-cluster helpers for the bench: a namespace and a Deployment of N pods, created on the
// store directly (setup is not what is measured), and waiting for them to be Ready.
import type { KObject, Store } from '../sim/contract.js';
import { sleep } from './figures.js';

export function createNamespace(store: Store, name: string): void {
  store.create('core/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

export function deployment(namespace: string, name: string, replicas: number): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [{ name: 'app', image: 'x', resources: { limits: { memory: '256Mi', cpu: '500m' } } }],
        },
      },
    },
  };
}

const isReady = (p: KObject): boolean =>
  ((p.status?.conditions ?? []) as { type: string; status: string }[]).some(
    (c) => c.type === 'Ready' && c.status === 'True',
  );

export function readyPods(store: Store, namespace: string, app?: string): KObject[] {
  return store
    .view('core/v1/pods', { namespace, ...(app ? { labelSelector: `app=${app}` } : {}) })
    .filter((p) => isReady(p) && !p.metadata.deletionTimestamp);
}

/** Waits until `count` pods are Ready; returns false on timeout. */
export async function waitReady(
  store: Store,
  namespace: string,
  count: number,
  timeoutMs: number,
): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (readyPods(store, namespace).length < count) {
    if (Date.now() > end) return false;
    await sleep(100);
  }
  return true;
}
