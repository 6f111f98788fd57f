// Bytes per cached pod: what the watch cache keeps (the compact converted form, activities/cache/
// kinds.ts) against the full objects an informer would keep. A measurement, printed, not asserted:
//   node --expose-gc --import tsx tools/cache-memory.ts [pods]
import { KINDS, type CachedPod } from '../activities/cache/kinds.js';

const n = Number(process.argv[2] ?? 10_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

/** A pod as the API serves it for a Deployment replica (the sim's shape, one container). */
function rawPod(i: number): Record<string, unknown> {
  const t = new Date(Date.UTC(2026, 0, 1, 0, 0, i % 60)).toISOString();
  const uid = `${i.toString(16).padStart(8, '0')}-1111-4222-8333-444455556666`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `web-7d9c8b5f4-${i.toString(36).padStart(5, 'x')}`,
      namespace: `team-${i % 100}`,
      uid,
      resourceVersion: String(100_000 + i),
      creationTimestamp: t,
      labels: { app: 'web', 'pod-template-hash': '7d9c8b5f4', tier: 'frontend' },
      annotations: { 'sim.kubeskippy.io/behavior': 'healthy', 'kubectl.kubernetes.io/restartedAt': t },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'web-7d9c8b5f4',
          uid: `rs-${uid}`,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      nodeName: `node-${i % 50}`,
      restartPolicy: 'Always',
      containers: [
        {
          name: 'app',
          image: 'registry.example.com/web:1.2.3',
          ports: [{ containerPort: 8080, protocol: 'TCP' }],
          resources: { limits: { memory: '256Mi', cpu: '500m' }, requests: { memory: '128Mi', cpu: '100m' } },
        },
      ],
    },
    status: {
      phase: 'Running',
      podIP: `10.0.${i % 250}.${i % 200}`,
      startTime: t,
      conditions: [
        'PodReadyToStartContainers',
        'Initialized',
        'Ready',
        'ContainersReady',
        'PodScheduled',
      ].map((type) => ({ type, status: 'True', lastTransitionTime: t })),
      containerStatuses: [
        {
          name: 'app',
          image: 'registry.example.com/web:1.2.3',
          imageID: 'registry.example.com/web@sha256:0123456789abcdef',
          containerID: `containerd://${uid}`,
          ready: true,
          started: true,
          restartCount: i % 3,
          state: { running: { startedAt: t } },
        },
      ],
    },
  };
}

function heapAfter(build: () => unknown): { bytes: number; keep: unknown } {
  gc!();
  const before = process.memoryUsage().heapUsed;
  const keep = build();
  gc!();
  return { bytes: process.memoryUsage().heapUsed - before, keep };
}

// Each pod arrives as a watch line would (parsed JSON) and only the converted form is kept, so the
// compact figure includes every string it holds on to.
const compact = heapAfter(() => {
  const m = new Map<string, CachedPod>();
  for (let i = 0; i < n; i++) {
    const o = JSON.parse(JSON.stringify(rawPod(i))) as Record<string, unknown>;
    m.set((o.metadata as { uid: string }).uid, KINDS.pods.convert(o)!);
  }
  return m;
});
const raw = heapAfter(() =>
  Array.from({ length: n }, (_, i) => JSON.parse(JSON.stringify(rawPod(i))) as unknown),
);
const json = JSON.stringify([...(compact.keep as Map<string, CachedPod>).values()][0]).length;
console.log(
  `${n} pods: full objects ${Math.round(raw.bytes / n)} B/pod on the heap; ` +
    `watch cache (compact) ${Math.round(compact.bytes / n)} B/pod (JSON ${json} B)`,
);
