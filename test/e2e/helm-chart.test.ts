// deploy/helm/kubeskippy with the real helm, no cluster: `helm lint --strict`, `helm template`
// equal to `kubectl kustomize deploy/` object by object (modulo the differences the chart's README
// lists), the values doing what README says, and values.schema.json refusing bad values by name.
// test/real/helm.test.ts installs the chart into the real control plane.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, type Env } from '../../operator/config.js';
import {
  CHART,
  ROOT,
  SERVICE_MONITOR,
  VAP,
  find,
  helm,
  kinds,
  parseObjects,
  renderChart,
  templateArgs,
  type Obj,
} from '../support/helm.js';

/** Labels helm's conventions add; the kustomize install has none of them. */
const HELM_LABELS = [
  'app.kubernetes.io/instance',
  'app.kubernetes.io/version',
  'app.kubernetes.io/managed-by',
  'helm.sh/chart',
];

/** The object with the chart's documented extras taken out (README "Differences from deploy/"). */
function withoutHelmExtras(o: Obj): Obj {
  const copy = structuredClone(o);
  const strip = (labels: Obj | undefined): void => {
    for (const l of HELM_LABELS) delete labels?.[l];
  };
  strip(copy.metadata?.labels);
  if (copy.kind === 'Deployment') {
    strip(copy.spec.selector.matchLabels);
    strip(copy.spec.template.metadata.labels);
    delete copy.spec.template.metadata.annotations['checksum/config'];
    if (Object.keys(copy.spec.template.metadata.annotations).length === 0)
      delete copy.spec.template.metadata.annotations;
  }
  if (copy.kind === 'Service') strip(copy.spec.selector);
  if (copy.kind === 'PodDisruptionBudget') strip(copy.spec.selector.matchLabels);
  return copy;
}

const byKey = (objects: Obj[]): Map<string, Obj> =>
  new Map(objects.map((o) => [`${o.kind}/${o.metadata.name}`, o]));

const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

describe('the Helm chart, rendered offline', () => {
  it('passes `helm lint --strict`', async () => {
    const run = await helm('lint', '--strict', CHART);
    expect(run.stderr).toBe('');
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
  });

  it.skipIf(!hasKubectl)('renders what `kubectl kustomize deploy/` renders, object by object', async () => {
    const kustomize = spawnSync('kubectl', ['kustomize', 'deploy/'], { cwd: ROOT, encoding: 'utf8' });
    expect(kustomize.status, kustomize.stderr).toBe(0);
    // The release namespace comes from `helm install -n NS --create-namespace`: no Namespace object.
    const expected = byKey(parseObjects(kustomize.stdout).filter((o) => o.kind !== 'Namespace'));
    const chart = byKey(
      (await renderChart({ includeCrds: true, apiVersions: [VAP] })).map(withoutHelmExtras),
    );
    expect([...chart.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [key, obj] of expected) expect(chart.get(key), key).toEqual(obj);
  });

  it('ships the generated CRDs byte for byte (npm run gen writes both)', () => {
    const generated = readdirSync(join(ROOT, 'deploy/crds')).sort();
    expect(readdirSync(join(CHART, 'crds')).sort()).toEqual(generated);
    for (const file of generated)
      expect(readFileSync(join(CHART, 'crds', file), 'utf8'), file).toBe(
        readFileSync(join(ROOT, 'deploy/crds', file), 'utf8'),
      );
  });

  it('grants exactly the rules of deploy/operator/rbac.yaml', async () => {
    // Without kubectl too: the least-privilege table checks that file against the code.
    const rbac = parseObjects(readFileSync(join(ROOT, 'deploy/operator/rbac.yaml'), 'utf8'));
    const chartRole = find(await renderChart({ release: 'other' }), 'ClusterRole');
    expect(chartRole?.rules).toEqual(find(rbac, 'ClusterRole')?.rules);
  });

  it('loads as a valid operator configuration from the ConfigMap and container env', async () => {
    const objects = await renderChart({
      set: { 'temporal.address': 'temporal.example:7233', 'temporal.tls': true, 'config.logLevel': 'debug' },
    });
    const container = find(objects, 'Deployment')!.spec.template.spec.containers[0] as Obj;
    const env: Env = { ...(find(objects, 'ConfigMap')!.data as Env) };
    for (const e of container.env as Obj[]) if (e.value !== undefined) env[e.name] = e.value;
    const config = loadConfig({}, env);
    expect(config).toMatchObject({
      temporalAddress: 'temporal.example:7233',
      temporalTls: true,
      logLevel: 'debug',
      metricsPort: 9464,
      // In a pod with no clusterName set: `default`, and the task queue follows it.
      clusterName: 'default',
      taskQueue: 'kubeskippy-default',
    });
    const named = await renderChart({ set: { clusterName: 'prod-eu' } });
    expect(
      loadConfig({}, { ...(find(named, 'ConfigMap')!.data as Env), KUBERNETES_SERVICE_HOST: '10.0.0.1' }),
    ).toMatchObject({
      clusterName: 'prod-eu',
      taskQueue: 'kubeskippy-prod-eu',
    });
    expect(container.envFrom).toEqual([
      { configMapRef: { name: find(objects, 'ConfigMap')!.metadata.name } },
    ]);
  });
});

describe('the Helm chart: names follow the release and namespace', () => {
  it('binds the ClusterRole and the kill switch to this release’s ServiceAccount', async () => {
    const objects = await renderChart({ release: 'ks-a', namespace: 'ops', apiVersions: [VAP] });
    expect(kinds(objects)).toEqual(
      [
        'ClusterRole/ks-a-kubeskippy-operator',
        'ClusterRoleBinding/ks-a-kubeskippy-operator',
        'ConfigMap/ks-a-kubeskippy-config',
        'Deployment/ks-a-kubeskippy-operator',
        'PodDisruptionBudget/ks-a-kubeskippy-operator',
        'Role/ks-a-kubeskippy-leader-election',
        'RoleBinding/ks-a-kubeskippy-leader-election',
        'Service/ks-a-kubeskippy-metrics',
        'ServiceAccount/ks-a-kubeskippy-operator',
        'ValidatingAdmissionPolicy/ks-a-kubeskippy-kill-switch',
        'ValidatingAdmissionPolicyBinding/ks-a-kubeskippy-kill-switch',
      ].sort(),
    );
    const sa = find(objects, 'ServiceAccount')!;
    expect(sa.metadata.namespace).toBe('ops');
    expect(find(objects, 'ClusterRoleBinding')!.subjects).toEqual([
      { kind: 'ServiceAccount', name: sa.metadata.name, namespace: 'ops' },
    ]);
    // The Lease is the release namespace's: the Role lives there, bound to the same ServiceAccount.
    expect(find(objects, 'Role')!.metadata.namespace).toBe('ops');
    expect(find(objects, 'RoleBinding')!.subjects).toEqual([
      { kind: 'ServiceAccount', name: sa.metadata.name, namespace: 'ops' },
    ]);
    expect(find(objects, 'RoleBinding')!.roleRef.name).toBe(find(objects, 'Role')!.metadata.name);
    expect(find(objects, 'Deployment')!.spec.template.spec.serviceAccountName).toBe(sa.metadata.name);
    expect(find(objects, 'ValidatingAdmissionPolicy')!.spec.matchConditions[0].expression).toBe(
      `request.userInfo.username == 'system:serviceaccount:ops:${sa.metadata.name}'`,
    );
    expect(find(objects, 'ValidatingAdmissionPolicyBinding')!.spec.policyName).toBe(
      'ks-a-kubeskippy-kill-switch',
    );
    // Two releases never select each other's pods.
    const deployment = find(objects, 'Deployment')!;
    expect(deployment.spec.selector.matchLabels['app.kubernetes.io/instance']).toBe('ks-a');
    expect(find(objects, 'Service')!.spec.selector).toEqual(deployment.spec.selector.matchLabels);
  });
});

describe('the Helm chart: optional objects', () => {
  it('installs the kill switch when the cluster serves ValidatingAdmissionPolicy, or when told', async () => {
    const has = async (opts: Parameters<typeof renderChart>[0]): Promise<boolean> =>
      find(await renderChart(opts), 'ValidatingAdmissionPolicy') !== undefined;
    expect(await has({ apiVersions: [VAP] })).toBe(true);
    expect(await has({})).toBe(false); // auto, and the offline default set names no kinds
    expect(await has({ apiVersions: [VAP], set: { 'admission.killSwitch.enabled': false } })).toBe(false);
    expect(await has({ set: { 'admission.killSwitch.enabled': true } })).toBe(true);
  });

  it('adds a ServiceMonitor only when the Prometheus Operator CRD is served, or when told', async () => {
    const monitor = async (opts: Parameters<typeof renderChart>[0]): Promise<Obj | undefined> =>
      find(await renderChart(opts), 'ServiceMonitor');
    expect(await monitor({})).toBeUndefined();
    expect(await monitor({ apiVersions: [SERVICE_MONITOR], set: { 'serviceMonitor.enabled': false } })).toBe(
      undefined,
    );
    const sm = await monitor({
      apiVersions: [SERVICE_MONITOR],
      set: { 'serviceMonitor.labels': { release: 'prom' } },
    });
    const objects = await renderChart({});
    expect(sm?.metadata.labels.release).toBe('prom');
    expect(sm?.spec.selector.matchLabels).toEqual(find(objects, 'Service')!.spec.selector);
    expect(sm?.spec.endpoints).toEqual([{ port: 'metrics', path: '/metrics', interval: '30s' }]);
  });

  it('adds the Grafana dashboard ConfigMap for the sidecar when asked, holding deploy/grafana/kubeskippy.json', async () => {
    const dashboard = async (opts: Parameters<typeof renderChart>[0]): Promise<Obj | undefined> =>
      find(await renderChart(opts), 'ConfigMap', 'kubeskippy-grafana-dashboard');
    expect(await dashboard({})).toBeUndefined();
    const cm = await dashboard({
      set: { 'grafanaDashboard.enabled': true, 'grafanaDashboard.namespace': 'monitoring' },
    });
    expect(cm?.metadata.namespace).toBe('monitoring');
    expect(cm?.metadata.labels.grafana_dashboard).toBe('1');
    const source = readFileSync(join(ROOT, 'deploy/grafana/kubeskippy.json'), 'utf8');
    expect(JSON.parse(cm?.data['kubeskippy.json'])).toEqual(JSON.parse(source));
  });

  it('creates the Secret from values, or reads an existing one, never both', async () => {
    const created = await renderChart({
      set: { 'secret.create': true, 'secret.openaiApiKey': 'sk-test' },
    });
    const secret = find(created, 'Secret')!;
    expect(secret.metadata.name).toBe('kubeskippy-secrets');
    expect(secret.data).toEqual({ OPENAI_API_KEY: Buffer.from('sk-test').toString('base64') });
    const refs = (objects: Obj[]): string[] =>
      (find(objects, 'Deployment')!.spec.template.spec.containers[0].env as Obj[])
        .filter((e) => e.valueFrom?.secretKeyRef)
        .map((e) => `${e.name}<-${e.valueFrom.secretKeyRef.name}`);
    expect(refs(created)).toEqual([
      'OPENAI_API_KEY<-kubeskippy-secrets',
      'TEMPORAL_API_KEY<-kubeskippy-secrets',
    ]);
    const existing = await renderChart({ set: { 'secret.existingSecret': 'mine' } });
    expect(find(existing, 'Secret')).toBeUndefined();
    expect(refs(existing)).toEqual(['OPENAI_API_KEY<-mine', 'TEMPORAL_API_KEY<-mine']);
    const both = await helm(
      'template',
      ...templateArgs({ set: { 'secret.create': true, 'secret.existingSecret': 'mine' } }),
    );
    expect(both.code).not.toBe(0);
    expect(both.stderr).toContain('secret.existingSecret and secret.create exclude each other');
  });

  it('applies image, scheduling, resources, extra args and env, and the PodDisruptionBudget', async () => {
    const objects = await renderChart({
      set: {
        'image.repository': 'ghcr.io/acme/kubeskippy',
        'image.tag': '1.2.3',
        replicaCount: 0,
        nodeSelector: { pool: 'system' },
        tolerations: [{ key: 'system', operator: 'Exists', effect: 'NoSchedule' }],
        affinity: { nodeAffinity: {} },
        resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '512Mi' } },
        extraArgs: ['--alertmanager-url', 'http://am:9093'],
        extraEnv: [{ name: 'KUBESKIPPY_WATCH_CACHE', value: 'off' }],
        'podDisruptionBudget.enabled': true,
      },
    });
    const deployment = find(objects, 'Deployment')!;
    const pod = deployment.spec.template.spec as Obj;
    const container = pod.containers[0] as Obj;
    expect(deployment.spec.replicas).toBe(0);
    expect(container.image).toBe('ghcr.io/acme/kubeskippy:1.2.3');
    expect(pod.nodeSelector).toEqual({ pool: 'system' });
    expect(pod.tolerations).toEqual([{ key: 'system', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(pod.affinity).toEqual({ nodeAffinity: {} });
    expect(container.resources).toEqual({
      requests: { cpu: '50m', memory: '128Mi' },
      limits: { memory: '512Mi' },
    });
    expect(container.args).toEqual(['operator', '--leader-elect', '--alertmanager-url', 'http://am:9093']);
    expect(container.env).toContainEqual({ name: 'KUBESKIPPY_WATCH_CACHE', value: 'off' });
    const pdb = find(objects, 'PodDisruptionBudget')!;
    expect(pdb.spec).toEqual({ minAvailable: 1, selector: deployment.spec.selector });
    expect(
      find(await renderChart({ set: { 'podDisruptionBudget.enabled': false } }), 'PodDisruptionBudget'),
    ).toBeUndefined();
  });

  it('runs one controller by leader election, or without it one replica, no Lease rights and Recreate', async () => {
    const elected = await renderChart({});
    const deployment = find(elected, 'Deployment')!;
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
    });
    expect(deployment.spec.template.spec.containers[0].args).toEqual(['operator', '--leader-elect']);
    expect(find(elected, 'Role')!.rules).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
    ]);
    const single = await renderChart({
      set: {
        'leaderElection.enabled': false,
        replicaCount: 1,
        strategy: { type: 'Recreate' },
        'podDisruptionBudget.enabled': false,
      },
    });
    expect(find(single, 'Deployment')!.spec.template.spec.containers[0].args).toEqual(['operator']);
    expect(find(single, 'Deployment')!.spec.strategy).toEqual({ type: 'Recreate' });
    expect(find(single, 'Role')).toBeUndefined();
    expect(find(single, 'RoleBinding')).toBeUndefined();
  });

  it('rolls the pod when a setting changes (checksum of the ConfigMap)', async () => {
    const checksum = async (set: Obj): Promise<string> =>
      find(await renderChart({ set }), 'Deployment')!.spec.template.metadata.annotations['checksum/config'];
    expect(await checksum({})).toMatch(/^[0-9a-f]{64}$/);
    expect(await checksum({ 'config.logLevel': 'debug' })).not.toBe(await checksum({}));
  });
});

describe('values.schema.json refuses bad values, naming the field', () => {
  it.each([
    [{ replicaCount: 2, 'leaderElection.enabled': false }, "at '/replicaCount': maximum: got 2, want 1"],
    [{ 'config.logLevel': 'loud' }, "at '/config/logLevel': value must be one of"],
    [{ 'temporal.address': 'http://temporal:7233' }, "at '/temporal/address'"],
    [{ 'temporal.tls': 'yes' }, "at '/temporal/tls': got string, want boolean"],
    [{ 'serviceMonitor.enabled': 'sometimes' }, "at '/serviceMonitor/enabled'"],
    [{ 'strategy.type': 'BlueGreen' }, "at '/strategy/type'"],
    [{ 'image.pullPolicy': 'Sometimes' }, "at '/image/pullPolicy'"],
    [{ 'metrics.port': 70000 }, "at '/metrics/port'"],
    [{ replicas: 1 }, "additional properties 'replicas' not allowed"],
    [{ 'grafanaDashboard.enabled': 'auto' }, "at '/grafanaDashboard/enabled': got string, want boolean"],
    [{ clusterName: 'Prod_EU' }, "at '/clusterName'"],
    [{ clusterName: 'policy' }, "at '/clusterName'"],
  ])('%o', async (set, message) => {
    const run = await helm('template', ...templateArgs({ set }));
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("values don't meet the specifications of the schema");
    expect(run.stderr).toContain(message);
  });

  it('at `helm lint` too', async () => {
    const run = await helm(
      'lint',
      '--strict',
      CHART,
      '--set-json',
      'replicaCount=3',
      '--set',
      'leaderElection.enabled=false',
    );
    expect(run.code).not.toBe(0);
    expect(run.stdout + run.stderr).toContain("at '/replicaCount': maximum: got 3, want 1");
  });
});
