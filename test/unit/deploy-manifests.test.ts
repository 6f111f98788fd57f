// The in-cluster install (deploy/) checked against the code it runs, since no image can be built
// or cluster reached here: the Deployment sets only settings operator/config.ts reads, its probes hit
// what operator/health.ts serves, the ClusterRole grants exactly the API calls the operator makes,
// the kustomizations list every file, and `kubectl kustomize` renders them (when kubectl exists).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMap, isSeq, parseAllDocuments, parse as parseYaml } from 'yaml';
import { DEFAULTS, loadConfig, type Env } from '../../operator/config.js';
import { startHealthServer, type HealthServer } from '../../operator/health.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const operatorDir = join(root, 'deploy/operator');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

const yamlFiles = readdirSync(operatorDir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const objects: { file: string; obj: Obj }[] = yamlFiles
  .filter((f) => f !== 'kustomization.yaml')
  .flatMap((file) =>
    parseAllDocuments(readFileSync(join(operatorDir, file), 'utf8')).map((doc) => {
      expect(doc.errors, `${file} parses`).toEqual([]);
      return { file, obj: doc.toJS() as Obj };
    }),
  );

function one(kind: string): Obj {
  const found = objects.filter((o) => o.obj.kind === kind);
  expect(found, `exactly one ${kind} under deploy/operator`).toHaveLength(1);
  return found[0]!.obj;
}

const deployment = one('Deployment');
const podSpec = deployment.spec.template.spec as Obj;
const container = (podSpec.containers as Obj[])[0]!;

/** The environment variable names loadConfig reads: it reads them all, whatever is set. */
function configEnvNames(): Set<string> {
  const read = new Set<string>();
  const env = new Proxy({} as Env, {
    get: (_target, key) => {
      if (typeof key === 'string') read.add(key);
      return undefined;
    },
  });
  loadConfig({}, env);
  return read;
}

/** Name → value (undefined for secret-backed ones) of every variable the container gets. */
function containerEnv(): Map<string, string | undefined> {
  const vars = new Map<string, string | undefined>();
  for (const from of (container.envFrom ?? []) as Obj[]) {
    expect(from.configMapRef, 'envFrom only from ConfigMaps (secrets are named one by one)').toBeDefined();
    const cm = objects.find(
      (o) => o.obj.kind === 'ConfigMap' && o.obj.metadata.name === from.configMapRef.name,
    );
    expect(cm, `ConfigMap ${from.configMapRef.name} is in deploy/operator`).toBeDefined();
    for (const [k, v] of Object.entries((cm!.obj.data ?? {}) as Record<string, string>)) vars.set(k, v);
  }
  for (const e of (container.env ?? []) as Obj[]) vars.set(e.name, e.value);
  return vars;
}

describe('deploy/operator: the Deployment and its configuration', () => {
  it('sets only environment variables operator/config.ts reads', () => {
    const known = configEnvNames();
    expect(known).toContain('TEMPORAL_ADDRESS'); // the proxy saw the reads
    const unknown = [...containerEnv().keys()].filter((name) => !known.has(name));
    expect(unknown, 'variables config.ts does not read').toEqual([]);
  });

  it('loads as a valid configuration, with the Temporal address from the ConfigMap', () => {
    const env = Object.fromEntries(containerEnv()) as Env;
    const config = loadConfig({}, env);
    expect(config.temporalAddress).toBe(env.TEMPORAL_ADDRESS);
    expect(config.temporalAddress).not.toBe(DEFAULTS.temporalAddress); // 127.0.0.1 is useless in a pod
    expect(config.kubeconfig, 'in-cluster: the service account, no kubeconfig').toBeUndefined();
  });

  it('takes API keys only from the optional Secret', () => {
    const secretVars = ((container.env ?? []) as Obj[]).filter((e) => e.valueFrom?.secretKeyRef);
    expect(secretVars.map((e) => e.name).sort()).toEqual(['OPENAI_API_KEY', 'TEMPORAL_API_KEY']);
    for (const e of secretVars) expect(e.valueFrom.secretKeyRef.optional).toBe(true);
    const cm = one('ConfigMap');
    for (const name of ['OPENAI_API_KEY', 'TEMPORAL_API_KEY']) expect(cm.data).not.toHaveProperty(name);
  });

  it('runs `kubeskippy operator --leader-elect` twice, rolling, non-root, read-only, with the service account', () => {
    // Two replicas both run a worker; only the Lease holder runs the controller (operator/leader).
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
    });
    expect(container.args).toEqual(['operator', '--leader-elect']);
    // The Lease holder's identity and namespace come from the downward API.
    const fieldRefs = Object.fromEntries(
      ((container.env ?? []) as Obj[])
        .filter((e) => e.valueFrom?.fieldRef)
        .map((e) => [e.name, e.valueFrom.fieldRef.fieldPath]),
    );
    expect(fieldRefs).toEqual({ POD_NAME: 'metadata.name', POD_NAMESPACE: 'metadata.namespace' });
    expect(podSpec.terminationGracePeriodSeconds).toBeGreaterThan(10); // the worker's shutdown grace
    expect(podSpec.securityContext.runAsNonRoot).toBe(true);
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.volumeMounts).toContainEqual(expect.objectContaining({ mountPath: '/tmp' }));
    expect(container.resources.requests).toBeDefined();
    expect(container.resources.limits.memory).toBeDefined();
    expect(podSpec.serviceAccountName).toBe(one('ServiceAccount').metadata.name);
  });
});

describe('deploy/operator: leader election', () => {
  it('a PodDisruptionBudget keeps one of the replicas through voluntary disruptions', () => {
    const pdb = one('PodDisruptionBudget');
    expect(pdb.metadata.namespace).toBe(deployment.metadata.namespace);
    expect(pdb.spec.minAvailable).toBe(1);
    expect(pdb.spec.minAvailable).toBeLessThan(deployment.spec.replicas);
    expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
  });

  it('the Role grants exactly the Lease calls, in the operator namespace, to its service account', () => {
    const role = one('Role');
    const binding = one('RoleBinding');
    const sa = one('ServiceAccount');
    expect(role.metadata.namespace).toBe(sa.metadata.namespace);
    expect(binding.metadata.namespace).toBe(sa.metadata.namespace);
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: role.metadata.name,
    });
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace },
    ]);
    const needed = API_CALLS.filter((c) => c.inNamespace).flatMap((c) =>
      c.grants.flatMap(([g, r, verbs]) => verbs.map((v) => triple(g, r, v))),
    );
    const granted = (role.rules as Obj[]).flatMap((r) =>
      (r.apiGroups as string[]).flatMap((g) =>
        (r.resources as string[]).flatMap((res) => (r.verbs as string[]).map((v) => triple(g, res, v))),
      ),
    );
    expect([...new Set(granted)].sort()).toEqual([...new Set(needed)].sort());
    expect(needed.length).toBeGreaterThan(0);
  });
});

describe('deploy/operator: probes and metrics match operator/health.ts', () => {
  let health: HealthServer;
  beforeAll(async () => {
    health = await startHealthServer({
      port: 0,
      host: '127.0.0.1',
      ready: () => true,
      registry: new Registry(),
    });
  });
  afterAll(() => health.close());

  const portNamed = (port: string | number): number =>
    typeof port === 'number'
      ? port
      : ((container.ports as Obj[]).find((p) => p.name === port)?.containerPort as number);
  const metricsPort = (): number => loadConfig({}, Object.fromEntries(containerEnv()) as Env).metricsPort;

  it.each(['livenessProbe', 'readinessProbe', 'startupProbe'])('%s', async (probe) => {
    const get = container[probe]?.httpGet as Obj;
    expect(get, `${probe} is an HTTP GET`).toBeDefined();
    expect(portNamed(get.port), 'the port the operator serves health on').toBe(metricsPort());
    const res = await fetch(`http://127.0.0.1:${health.port}${get.path}`);
    expect(res.status, `${get.path} is served`).toBe(200);
  });

  it('uses /healthz for liveness and /readyz for readiness', () => {
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
  });

  it('exposes /metrics through a Service Prometheus scrapes', async () => {
    const svc = one('Service');
    const port = (svc.spec.ports as Obj[])[0]!;
    expect(portNamed(port.targetPort)).toBe(metricsPort());
    expect(svc.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(port.port),
    });
    expect(svc.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    expect(deployment.spec.template.metadata.labels).toMatchObject(svc.spec.selector);
    const res = await fetch(
      `http://127.0.0.1:${health.port}${svc.metadata.annotations['prometheus.io/path']}`,
    );
    expect(res.status).toBe(200);
  });
});

// Every Kubernetes API call of the operator (the code `kubeskippy operator` runs: activities/ and
// operator/controller/), found by grepping for client calls, with the permissions it needs. The
// scan below fails when a call appears that this table lacks (add it, and a rule if needed), or
// when a row names a call its file no longer makes.
type Grant = [apiGroup: string, resource: string, verbs: string[]];
/** `byName`: granted per Secret by a Role the user adds next to it (README "Notifications"),
 * never by the ClusterRole: reading every Secret in the cluster is what least privilege forbids. */
/** `inNamespace`: granted by the Role in the operator's own namespace (leader election), not the ClusterRole. */
const API_CALLS: { file: string; call: string; grants: Grant[]; byName?: true; inNamespace?: true }[] = [
  // Leader election (operator/leader/lease.ts): one Lease in the operator's namespace.
  ...(['readNamespacedLease', 'createNamespacedLease', 'replaceNamespacedLease'] as const).map((call) => ({
    file: 'operator/leader/lease.ts',
    call,
    grants: [
      [
        'coordination.k8s.io',
        'leases',
        [{ read: 'get', create: 'create', replace: 'update' }[call.slice(0, call.indexOf('N'))]!],
      ],
    ] as Grant[],
    inNamespace: true as const,
  })),
  {
    file: 'activities/notify.ts',
    call: 'readNamespacedSecret',
    grants: [['', 'secrets', ['get']]],
    byName: true,
  },
  // Snapshot reads (activities/cache/kinds.ts): per namespace (direct, or before the cache syncs)
  // and cluster-wide for the worker's watch cache (list, then watch).
  { file: 'activities/cache/kinds.ts', call: 'listNamespacedPod', grants: [['', 'pods', ['list']]] },
  {
    file: 'activities/cache/kinds.ts',
    call: 'listNamespacedReplicaSet',
    grants: [['apps', 'replicasets', ['list']]],
  },
  {
    file: 'activities/cache/kinds.ts',
    call: 'listNamespacedDeployment',
    grants: [['apps', 'deployments', ['list']]],
  },
  {
    file: 'activities/cache/kinds.ts',
    call: 'listNamespacedStatefulSet',
    grants: [['apps', 'statefulsets', ['list']]],
  },
  {
    file: 'activities/cache/kinds.ts',
    call: 'listNamespacedDaemonSet',
    grants: [['apps', 'daemonsets', ['list']]],
  },
  {
    file: 'activities/cache/kinds.ts',
    call: 'listNamespacedHorizontalPodAutoscaler',
    grants: [['autoscaling', 'horizontalpodautoscalers', ['list']]],
  },
  { file: 'activities/cache/kinds.ts', call: 'listNamespacedEvent', grants: [['', 'events', ['list']]] },
  {
    file: 'activities/cache/kinds.ts',
    call: 'listNamespacedPodDisruptionBudget',
    grants: [['policy', 'poddisruptionbudgets', ['list']]],
  },
  { file: 'activities/cache/kinds.ts', call: 'listPodForAllNamespaces', grants: [['', 'pods', ['list']]] },
  {
    file: 'activities/cache/kinds.ts',
    call: 'listReplicaSetForAllNamespaces',
    grants: [['apps', 'replicasets', ['list']]],
  },
  {
    file: 'activities/cache/kinds.ts',
    call: 'listDeploymentForAllNamespaces',
    grants: [['apps', 'deployments', ['list']]],
  },
  {
    file: 'activities/cache/kinds.ts',
    call: 'listStatefulSetForAllNamespaces',
    grants: [['apps', 'statefulsets', ['list']]],
  },
  {
    file: 'activities/cache/kinds.ts',
    call: 'listDaemonSetForAllNamespaces',
    grants: [['apps', 'daemonsets', ['list']]],
  },
  {
    file: 'activities/cache/kinds.ts',
    call: 'listHorizontalPodAutoscalerForAllNamespaces',
    grants: [['autoscaling', 'horizontalpodautoscalers', ['list']]],
  },
  {
    file: 'activities/cache/kinds.ts',
    call: 'listEventForAllNamespaces',
    grants: [['', 'events', ['list']]],
  },
  {
    file: 'activities/cache/kinds.ts',
    call: 'listPodDisruptionBudgetForAllNamespaces',
    grants: [['policy', 'poddisruptionbudgets', ['list']]],
  },
  {
    file: 'activities/cache/kinds.ts',
    call: 'listNamespacedService',
    grants: [['', 'services', ['list']]],
  },
  {
    file: 'activities/cache/kinds.ts',
    call: 'listServiceForAllNamespaces',
    grants: [['', 'services', ['list']]],
  },
  {
    file: 'activities/cache/kinds.ts',
    call: 'listNamespacedEndpointSlice',
    grants: [['discovery.k8s.io', 'endpointslices', ['list']]],
  },
  {
    file: 'activities/cache/kinds.ts',
    call: 'listEndpointSliceForAllNamespaces',
    grants: [['discovery.k8s.io', 'endpointslices', ['list']]],
  },
  {
    file: 'activities/cache/watch-cache.ts',
    call: 'Watch',
    grants: [
      ['', 'pods', ['watch']],
      ['', 'events', ['watch']],
      ['apps', 'replicasets', ['watch']],
      ['apps', 'deployments', ['watch']],
      ['apps', 'statefulsets', ['watch']],
      ['apps', 'daemonsets', ['watch']],
      ['autoscaling', 'horizontalpodautoscalers', ['watch']],
      ['policy', 'poddisruptionbudgets', ['watch']],
      ['', 'services', ['watch']],
      ['discovery.k8s.io', 'endpointslices', ['watch']],
    ],
  },
  // GET /apis/metrics.k8s.io/v1beta1/namespaces/NS/pods: direct, or shared per namespace by the cache.
  {
    file: 'activities/cache/reader.ts',
    call: 'getPodMetrics',
    grants: [['metrics.k8s.io', 'pods', ['list']]],
  },
  {
    file: 'activities/cache/watch-cache.ts',
    call: 'getPodMetrics',
    grants: [['metrics.k8s.io', 'pods', ['list']]],
  },
  // Executors.
  {
    file: 'activities/executors/scale.ts',
    call: 'listNamespacedHorizontalPodAutoscaler',
    grants: [['autoscaling', 'horizontalpodautoscalers', ['list']]],
  },
  {
    file: 'activities/executors/restart.ts',
    call: 'createNamespacedPodEviction',
    grants: [['', 'pods/eviction', ['create']]],
  },
  {
    file: 'activities/executors/restart.ts',
    call: 'deleteNamespacedPod',
    grants: [['', 'pods', ['delete']]],
  },
  // A retried eviction or delete reads the pod first: its earlier attempt may have landed.
  {
    file: 'activities/executors/restart.ts',
    call: 'readNamespacedPod',
    grants: [['', 'pods', ['get']]],
  },
  // KubernetesObjectApi on the action's target, which is always the pod itself for `delete`
  // (domain/targets.ts resolveTarget): read + finalizer strip (force) + delete.
  { file: 'activities/executors/delete.ts', call: 'read', grants: [['', 'pods', ['get']]] },
  { file: 'activities/executors/delete.ts', call: 'patch', grants: [['', 'pods', ['patch']]] },
  { file: 'activities/executors/delete.ts', call: 'delete', grants: [['', 'pods', ['delete']]] },
  // kindApi: read + patch of the target (rollout restart, scale, patch action, revert).
  { file: 'activities/executors/workloads.ts', call: 'readNamespacedPod', grants: [['', 'pods', ['get']]] },
  {
    file: 'activities/executors/workloads.ts',
    call: 'patchNamespacedPod',
    grants: [['', 'pods', ['patch']]],
  },
  ...(['Deployment', 'StatefulSet', 'ReplicaSet', 'DaemonSet'] as const).flatMap((kind) => [
    {
      file: 'activities/executors/workloads.ts',
      call: `readNamespaced${kind}`,
      grants: [['apps', `${kind.toLowerCase()}s`, ['get']]] as Grant[],
    },
    {
      file: 'activities/executors/workloads.ts',
      call: `patchNamespaced${kind}`,
      grants: [['apps', `${kind.toLowerCase()}s`, ['patch']]] as Grant[],
    },
  ]),
  // The change gate (activities/snapshot/changes.ts): the workload's rollout status, the nodes'
  // kubelet versions, the firing pod's container names (for silences naming a container).
  ...(['Deployment', 'StatefulSet', 'DaemonSet'] as const).map((kind) => ({
    file: 'activities/snapshot/changes.ts',
    call: `readNamespaced${kind}`,
    grants: [['apps', `${kind.toLowerCase()}s`, ['get']]] as Grant[],
  })),
  { file: 'activities/snapshot/changes.ts', call: 'listNode', grants: [['', 'nodes', ['list']]] },
  { file: 'activities/snapshot/changes.ts', call: 'readNamespacedPod', grants: [['', 'pods', ['get']]] },
  // The job action: its Job (create; get when a retry finds it, and while waiting) and its pods' names.
  {
    file: 'activities/executors/job.ts',
    call: 'createNamespacedJob',
    grants: [['batch', 'jobs', ['create']]],
  },
  { file: 'activities/executors/job.ts', call: 'readNamespacedJob', grants: [['batch', 'jobs', ['get']]] },
  { file: 'activities/executors/job.ts', call: 'listNamespacedPod', grants: [['', 'pods', ['list']]] },
  // GitOps owners (activities/kube/gitops-sync.ts): read, and patched to suspend/restore sync.
  ...(['getNamespacedCustomObject', 'patchNamespacedCustomObject'] as const).map((call) => ({
    file: 'activities/kube/gitops-sync.ts',
    call,
    grants: [
      ['argoproj.io', 'applications', [call.startsWith('get') ? 'get' : 'patch']],
      ['kustomize.toolkit.fluxcd.io', 'kustomizations', [call.startsWith('get') ? 'get' : 'patch']],
      ['helm.toolkit.fluxcd.io', 'helmreleases', [call.startsWith('get') ? 'get' : 'patch']],
    ] as Grant[],
  })),
  // The audit trail (activities/records.ts).
  {
    file: 'activities/records.ts',
    call: 'createNamespacedCustomObject',
    grants: [['kubeskippy.io', 'healingactions', ['create']]],
  },
  {
    file: 'activities/records.ts',
    call: 'getNamespacedCustomObject',
    grants: [['kubeskippy.io', 'healingactions', ['get']]],
  },
  {
    file: 'activities/records.ts',
    call: 'patchNamespacedCustomObjectStatus',
    grants: [['kubeskippy.io', 'healingactions/status', ['patch']]],
  },
  {
    file: 'activities/records.ts',
    call: 'patchNamespacedCustomObject',
    grants: [['kubeskippy.io', 'healingactions', ['patch']]],
  },
  { file: 'activities/records.ts', call: 'createNamespacedEvent', grants: [['', 'events', ['create']]] },
  // The controller: informers on both CRDs (list, then watch), and policy status.
  {
    file: 'operator/controller/controller.ts',
    call: 'makeInformer',
    grants: [
      ['kubeskippy.io', 'healingpolicies', ['list', 'watch']],
      ['kubeskippy.io', 'healingactions', ['list', 'watch']],
    ],
  },
  {
    file: 'operator/controller/controller.ts',
    call: 'listClusterCustomObject',
    grants: [
      ['kubeskippy.io', 'healingpolicies', ['list']],
      ['kubeskippy.io', 'healingactions', ['list']],
    ],
  },
  {
    file: 'operator/controller/controller.ts',
    call: 'patchNamespacedCustomObjectStatus',
    grants: [['kubeskippy.io', 'healingpolicies/status', ['patch']]],
  },
  // The KubeSkippyConfig `cluster` (kill switch, cluster budget): an informer and its status.
  {
    file: 'operator/controller/cluster-config.ts',
    call: 'makeInformer',
    grants: [['kubeskippy.io', 'kubeskippyconfigs', ['list', 'watch']]],
  },
  {
    file: 'operator/controller/cluster-config.ts',
    call: 'listClusterCustomObject',
    grants: [['kubeskippy.io', 'kubeskippyconfigs', ['list']]],
  },
  {
    file: 'operator/controller/cluster-config.ts',
    call: 'patchClusterCustomObjectStatus',
    grants: [['kubeskippy.io', 'kubeskippyconfigs/status', ['patch']]],
  },
];

/** The code `kubeskippy operator` runs that talks to the Kubernetes API. */
function operatorSources(): string[] {
  const walk = (dir: string): string[] =>
    (readdirSync(join(root, dir), { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts'))
      .map((f) => join(dir, f));
  return [
    ...walk('activities'),
    ...walk('operator/controller'),
    ...walk('operator/leader'),
    'operator/operator.ts',
    'operator/worker.ts',
  ];
}

const CALL_PATTERNS = [
  // kube.core.listNamespacedPod(, kube.objects.read(, kube.metrics.getPodMetrics(, ...
  /\bkube\.(?:core|apps|autoscaling|policy|discovery|custom|objects|metrics)\.(\w+)\s*\(/g,
  // Typed API methods however the client is reached.
  /\.((?:list|read|create|patch|delete|replace|get|watch)\w*(?:Namespaced|Cluster)\w*)\s*\(/g,
  /\b(makeInformer|Watch)\s*[<(]/g,
];

function callsIn(file: string): Set<string> {
  const source = readFileSync(join(root, file), 'utf8').replace(/(^|\s)\/\/.*$/gm, '$1');
  const calls = new Set<string>();
  for (const pattern of CALL_PATTERNS) for (const m of source.matchAll(pattern)) calls.add(m[1]!);
  return calls;
}

const triple = (group: string, resource: string, verb: string): string =>
  `${group || 'core'} ${resource} ${verb}`;

describe('deploy/operator/rbac.yaml: least privilege', () => {
  const role = one('ClusterRole');

  it('the table lists every Kubernetes API call the operator makes', () => {
    const tabled = new Set(API_CALLS.map((c) => `${c.file}#${c.call}`));
    const found = operatorSources().flatMap((file) => [...callsIn(file)].map((call) => `${file}#${call}`));
    expect(found.length).toBeGreaterThan(20);
    expect(
      found.filter((c) => !tabled.has(c)),
      'calls missing from API_CALLS',
    ).toEqual([]);
    expect(
      [...tabled].filter((c) => !found.includes(c)),
      'API_CALLS rows whose call is gone',
    ).toEqual([]);
  });

  it('the ClusterRole grants exactly what the table needs', () => {
    const needed = new Set(
      API_CALLS.filter((c) => !c.byName && !c.inNamespace).flatMap((c) =>
        c.grants.flatMap(([g, r, verbs]) => verbs.map((v) => triple(g, r, v))),
      ),
    );
    const granted = new Set<string>();
    for (const rule of role.rules as Obj[]) {
      expect(rule.resourceNames, 'no rule narrowed by name (none is needed)').toBeUndefined();
      for (const g of rule.apiGroups as string[])
        for (const r of rule.resources as string[])
          for (const v of rule.verbs as string[]) {
            expect([g, r, v], 'no wildcards').not.toContain('*');
            granted.add(triple(g, r, v));
          }
    }
    expect([...needed].filter((t) => !granted.has(t)).sort(), 'needed but not granted').toEqual([]);
    expect([...granted].filter((t) => !needed.has(t)).sort(), 'granted but never used').toEqual([]);
    expect(
      [...granted].filter((t) => t.includes(' secrets ')),
      'no Secret through the ClusterRole',
    ).toEqual([]);
  });

  it('says which code path needs each rule', () => {
    const doc = parseAllDocuments(readFileSync(join(operatorDir, 'rbac.yaml'), 'utf8')).find(
      (d) => d.get('kind') === 'ClusterRole',
    )!;
    const rules = doc.get('rules', true);
    expect(isSeq(rules)).toBe(true);
    if (!isSeq(rules)) return;
    rules.items.forEach((item, i) => {
      expect(isMap(item)).toBe(true);
      // yaml attaches the comment above the first item to the sequence itself.
      const comment =
        (isMap(item) ? item.commentBefore : undefined) ?? (i === 0 ? rules.commentBefore : undefined);
      expect(comment, `rule ${i} has a comment`).toMatch(/\.ts\b/);
    });
  });

  it('is bound to the Deployment service account', () => {
    const binding = one('ClusterRoleBinding');
    const sa = one('ServiceAccount');
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: role.metadata.name,
    });
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace },
    ]);
    expect(deployment.metadata.namespace).toBe(sa.metadata.namespace);
    expect(one('Namespace').metadata.name).toBe(sa.metadata.namespace);
  });
});

describe('deploy/ kustomizations', () => {
  const read = (path: string): Obj => parseYaml(readFileSync(join(root, path), 'utf8')) as Obj;

  it('deploy/operator lists every manifest in its folder', () => {
    const k = read('deploy/operator/kustomization.yaml');
    expect([...(k.resources as string[])].sort()).toEqual(
      yamlFiles.filter((f) => f !== 'kustomization.yaml'),
    );
    expect((k.images as Obj[]).map((i) => i.name)).toEqual([String(container.image).split(':')[0]]);
  });

  it('deploy/ installs the generated CRDs and the operator', () => {
    const crds = readdirSync(join(root, 'deploy/crds'))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => `crds/${f}`);
    expect([...(read('deploy/kustomization.yaml').resources as string[])].sort()).toEqual(
      [...crds, 'operator', 'admission'].sort(),
    );
  });

  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

  it.skipIf(!kubectl)('`kubectl kustomize deploy/` renders everything', () => {
    const out = spawnSync('kubectl', ['kustomize', 'deploy/'], { cwd: root, encoding: 'utf8' });
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    const kinds = parseAllDocuments(out.stdout).map(
      (d) => `${d.get('kind')}/${d.getIn(['metadata', 'name'])}`,
    );
    expect(kinds.sort()).toEqual(
      [
        'ClusterRole/kubeskippy-operator',
        'ClusterRoleBinding/kubeskippy-operator',
        'ConfigMap/kubeskippy-config',
        'CustomResourceDefinition/healingactions.kubeskippy.io',
        'CustomResourceDefinition/healingpolicies.kubeskippy.io',
        'CustomResourceDefinition/kubeskippyconfigs.kubeskippy.io',
        'Deployment/kubeskippy-operator',
        'Namespace/kubeskippy-system',
        'PodDisruptionBudget/kubeskippy-operator',
        'Role/kubeskippy-leader-election',
        'RoleBinding/kubeskippy-leader-election',
        'Service/kubeskippy-metrics',
        'ServiceAccount/kubeskippy-operator',
        'ValidatingAdmissionPolicy/kubeskippy-kill-switch',
        'ValidatingAdmissionPolicyBinding/kubeskippy-kill-switch',
      ].sort(),
    );
  });

  it.skipIf(!kubectl)('`kubectl kustomize deploy/operator` renders the operator alone', () => {
    const out = spawnSync('kubectl', ['kustomize', 'deploy/operator'], { cwd: root, encoding: 'utf8' });
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).not.toContain('CustomResourceDefinition');
  });
});

describe('deploy/admission: the kill switch outside the operator', () => {
  const docs = parseAllDocuments(readFileSync(join(root, 'deploy/admission/kill-switch.yaml'), 'utf8')).map(
    (d) => d.toJS() as Obj,
  );
  const policy = docs.find((d) => d.kind === 'ValidatingAdmissionPolicy')!;
  const binding = docs.find((d) => d.kind === 'ValidatingAdmissionPolicyBinding')!;

  it('matches exactly the operator ServiceAccount of deploy/operator', () => {
    const sa = one('ServiceAccount');
    const username = `system:serviceaccount:${sa.metadata.namespace}:${sa.metadata.name}`;
    expect(policy.spec.matchConditions).toEqual([
      { name: 'the-kubeskippy-operator', expression: `request.userInfo.username == '${username}'` },
    ]);
  });

  it('reads the KubeSkippyConfig named cluster, allows without it, and denies (not warns)', () => {
    expect(policy.spec.paramKind).toEqual({ apiVersion: 'kubeskippy.io/v1alpha1', kind: 'KubeSkippyConfig' });
    expect(policy.spec.failurePolicy).toBe('Fail');
    expect(binding.spec).toEqual({
      policyName: policy.metadata.name,
      validationActions: ['Deny'],
      paramRef: { name: 'cluster', parameterNotFoundAction: 'Allow' },
    });
  });

  it('covers every write the ClusterRole grants on pods, workloads and jobs', () => {
    const covered = new Set<string>();
    for (const r of policy.spec.matchConstraints.resourceRules as Obj[])
      for (const g of r.apiGroups)
        for (const res of r.resources) for (const op of r.operations) covered.add(`${g} ${res} ${op}`);
    const role = one('ClusterRole');
    const asOperation: Record<string, string> = {
      patch: 'UPDATE',
      update: 'UPDATE',
      delete: 'DELETE',
      create: 'CREATE',
    };
    const writes = (role.rules as Obj[]).flatMap((r) =>
      (r.apiGroups as string[]).flatMap((g) =>
        (r.resources as string[]).flatMap((res) =>
          (r.verbs as string[]).filter((v) => asOperation[v]).map((v) => `${g} ${res} ${asOperation[v]}`),
        ),
      ),
    );
    // Left out on purpose: the GitOps owners (Argo CD Applications, Flux Kustomizations and
    // HelmReleases). Their one write puts sync back after an action that suspended it, and that
    // restore must still land when the switch goes on mid-action: denying it would leave Git's
    // sync off. The action itself stops before it changes the workload.
    const gitopsOwners = ['argoproj.io ', 'kustomize.toolkit.fluxcd.io ', 'helm.toolkit.fluxcd.io '];
    const workloadWrites = writes.filter(
      (w) =>
        !w.startsWith('kubeskippy.io') &&
        !w.includes(' events ') &&
        !gitopsOwners.some((g) => w.startsWith(g)),
    );
    expect(workloadWrites.length).toBeGreaterThan(5);
    expect(workloadWrites.filter((w) => !covered.has(w))).toEqual([]);
  });
});
