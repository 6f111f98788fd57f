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

  it('runs `kubeskippy operator` once, non-root, read-only, with the service account', () => {
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy.type).toBe('Recreate');
    expect(container.args).toEqual(['operator']);
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
const API_CALLS: { file: string; call: string; grants: Grant[] }[] = [
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
    'operator/operator.ts',
    'operator/worker.ts',
  ];
}

const CALL_PATTERNS = [
  // kube.core.listNamespacedPod(, kube.objects.read(, kube.metrics.getPodMetrics(, ...
  /\bkube\.(?:core|apps|autoscaling|policy|custom|objects|metrics)\.(\w+)\s*\(/g,
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
      API_CALLS.flatMap((c) => c.grants.flatMap(([g, r, verbs]) => verbs.map((v) => triple(g, r, v)))),
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
      [...crds, 'operator'].sort(),
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
        'Deployment/kubeskippy-operator',
        'Namespace/kubeskippy-system',
        'Service/kubeskippy-metrics',
        'ServiceAccount/kubeskippy-operator',
      ].sort(),
    );
  });

  it.skipIf(!kubectl)('`kubectl kustomize deploy/operator` renders the operator alone', () => {
    const out = spawnSync('kubectl', ['kustomize', 'deploy/operator'], { cwd: root, encoding: 'utf8' });
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).not.toContain('CustomResourceDefinition');
  });
});
