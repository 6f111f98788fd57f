import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULTS, loadConfig } from '../../operator/config.js';

describe('operator configuration', () => {
  it('uses defaults when nothing is set', () => {
    expect(loadConfig({}, {})).toMatchObject({
      temporalAddress: DEFAULTS.temporalAddress,
      temporalNamespace: 'default',
      // No kubeconfig (env without HOME or KUBECONFIG) names the cluster: `default`.
      clusterName: 'default',
      clusterNameFrom: 'default',
      taskQueue: 'kubeskippy-default',
      metricsPort: 9464,
      logLevel: 'info',
      temporalTls: false,
      watchCache: true,
    });
  });

  it('switches the watch cache with KUBESKIPPY_WATCH_CACHE=on|off (flags win)', () => {
    expect(loadConfig({}, { KUBESKIPPY_WATCH_CACHE: 'off' }).watchCache).toBe(false);
    expect(loadConfig({}, { KUBESKIPPY_WATCH_CACHE: 'on' }).watchCache).toBe(true);
    expect(loadConfig({ watchCache: 'on' }, { KUBESKIPPY_WATCH_CACHE: 'off' }).watchCache).toBe(true);
  });

  it('listens on 127.0.0.1 outside a cluster and on every interface in a pod, unless told', () => {
    expect(loadConfig({}, {}).metricsAddress).toBe('127.0.0.1');
    expect(loadConfig({}, { KUBERNETES_SERVICE_HOST: '10.96.0.1' }).metricsAddress).toBe('0.0.0.0');
    expect(loadConfig({}, { KUBESKIPPY_METRICS_ADDRESS: '::1' }).metricsAddress).toBe('::1');
  });

  it('reads the status heartbeat as a duration (default 5m) and names the variable when it is bad', () => {
    expect(loadConfig({}, {}).statusHeartbeatMs).toBe(300_000);
    expect(loadConfig({}, { KUBESKIPPY_STATUS_HEARTBEAT: '45s' }).statusHeartbeatMs).toBe(45_000);
    expect(() => loadConfig({}, { KUBESKIPPY_STATUS_HEARTBEAT: 'soon' })).toThrow(
      /KUBESKIPPY_STATUS_HEARTBEAT/,
    );
    expect(() => loadConfig({}, { KUBESKIPPY_STATUS_HEARTBEAT: '10ms' })).toThrow(/at least 1s/);
  });

  it('reads the environment, and flags win over it', () => {
    const env = {
      TEMPORAL_ADDRESS: 'temporal:7233',
      KUBESKIPPY_TASK_QUEUE: 'q1',
      OLLAMA_HOST: 'http://o:11434',
    };
    expect(loadConfig({}, env)).toMatchObject({
      temporalAddress: 'temporal:7233',
      taskQueue: 'q1',
      ollamaHost: 'http://o:11434',
    });
    expect(loadConfig({ taskQueue: 'q2' }, env).taskQueue).toBe('q2');
  });

  it('leader election: off by default, client-go timings, POD_NAME/POD_NAMESPACE from the downward API', () => {
    const local = loadConfig({}, {});
    expect(local).toMatchObject({
      leaderElect: false,
      leaderElectionId: 'kubeskippy-controller',
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
    });
    expect(local.leaderElectionNamespace).toBeUndefined();
    expect(local.leaderElectionIdentity).toMatch(new RegExp(`_${process.pid}$`));
    const pod = loadConfig(
      { leaderElectionId: 'mine' },
      {
        KUBESKIPPY_LEADER_ELECT: 'on',
        POD_NAME: 'op-abc',
        POD_NAMESPACE: 'ks',
        KUBESKIPPY_LEADER_ELECT_RETRY_PERIOD: '1s',
      },
    );
    expect(pod).toMatchObject({
      leaderElect: true,
      leaderElectionIdentity: 'op-abc',
      leaderElectionNamespace: 'ks',
      leaderElectionId: 'mine',
      retryPeriodMs: 1000,
    });
    expect(
      loadConfig({ leaderElectionNamespace: 'x' }, { POD_NAMESPACE: 'ks' }).leaderElectionNamespace,
    ).toBe('x');
  });

  it('refuses leader-election timings that could give two leaders', () => {
    expect(() => loadConfig({}, { KUBESKIPPY_LEADER_ELECT_RENEW_DEADLINE: '20s' })).toThrow(
      /lease duration must be greater than the renew deadline/,
    );
    expect(() => loadConfig({ retryPeriodMs: '9s' }, {})).toThrow(/1.2 × the retry period/);
    expect(() => loadConfig({}, { KUBESKIPPY_LEADER_ELECT_LEASE_DURATION: 'soon' })).toThrow(
      /KUBESKIPPY_LEADER_ELECT_LEASE_DURATION/,
    );
  });

  it('turns on TLS when an API key is given (Temporal Cloud)', () => {
    expect(loadConfig({}, { TEMPORAL_API_KEY: 'k' }).temporalTls).toBe(true);
  });

  it.each([
    [{ metricsPort: 'http' }, 'metrics port must be a port number'],
    [{ metricsPort: 70000 }, 'metrics port must be a port number'],
    [{ temporalAddress: 'localhost' }, 'Temporal address must be HOST:PORT'],
    [{ logLevel: 'loud' }, 'log level must be one of'],
    [{ watchCache: 'maybe' }, 'watch cache must be on or off'],
  ])('rejects %j with a message naming the setting', (flags, message) => {
    expect(() => loadConfig(flags as never, {})).toThrow(ConfigError);
    expect(() => loadConfig(flags as never, {})).toThrow(message);
  });
});

/** A kubeconfig file whose current context is `context` (the rest is what client-node needs). */
function kubeconfigWithContext(context: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'ks-config-')), 'config');
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      `current-context: "${context}"`,
      'clusters: [{ name: c, cluster: { server: "https://127.0.0.1:6443" } }]',
      'users: [{ name: u, user: { token: t } }]',
      `contexts: [{ name: "${context}", context: { cluster: c, user: u } }]`,
    ].join('\n'),
  );
  return file;
}

describe('cluster name (fleets)', () => {
  it('is the setting when given (flag over KUBESKIPPY_CLUSTER_NAME), trimmed', () => {
    expect(loadConfig({}, { KUBESKIPPY_CLUSTER_NAME: ' prod-eu ' })).toMatchObject({
      clusterName: 'prod-eu',
      clusterNameFrom: 'setting',
      taskQueue: 'kubeskippy-prod-eu',
    });
    expect(loadConfig({ clusterName: 'a' }, { KUBESKIPPY_CLUSTER_NAME: 'b' }).clusterName).toBe('a');
  });

  it('defaults to the kubeconfig context made a DNS label, from --kubeconfig, $KUBECONFIG or ~/.kube', () => {
    const file = kubeconfigWithContext('arn:aws:eks:eu-west-1:123:cluster/Shop_Prod');
    const want = {
      clusterName: 'arn-aws-eks-eu-west-1-123-cluster-shop-prod',
      clusterNameFrom: 'kubeconfig context',
    };
    expect(loadConfig({ kubeconfig: file }, {})).toMatchObject(want);
    expect(loadConfig({}, { KUBECONFIG: `/nonexistent:${file}` })).toMatchObject(want);
  });

  it('reads ~/.kube/config when nothing else names a file', () => {
    const home = mkdtempSync(join(tmpdir(), 'ks-home-'));
    mkdirSync(join(home, '.kube'));
    copyFileSync(kubeconfigWithContext('kind-b'), join(home, '.kube', 'config'));
    expect(loadConfig({}, { HOME: home })).toMatchObject({
      clusterName: 'kind-b',
      taskQueue: 'kubeskippy-kind-b',
    });
  });

  it('is `default` in a pod without a kubeconfig (nothing names the cluster there)', () => {
    expect(loadConfig({}, { KUBERNETES_SERVICE_HOST: '10.96.0.1', HOME: '/root' })).toMatchObject({
      clusterName: 'default',
      clusterNameFrom: 'default',
    });
  });

  it('an explicit task queue still wins over kubeskippy-<cluster>', () => {
    expect(loadConfig({ clusterName: 'a', taskQueue: 'mine' }, {}).taskQueue).toBe('mine');
  });

  it.each([
    ['Prod', 'must be a DNS label'],
    ['prod_eu', 'must be a DNS label'],
    ['-a', 'must be a DNS label'],
    ['a.b', 'must be a DNS label'],
    ['x'.repeat(64), 'at most 63 characters'],
    ['policy', 'is reserved'],
    ['action', 'is reserved'],
    ['cluster', 'is reserved'],
  ])('refuses the cluster name %j, naming the setting', (name, message) => {
    const load = (): unknown => loadConfig({ clusterName: name }, {});
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(message);
    expect(load).toThrow('KUBESKIPPY_CLUSTER_NAME');
  });

  it('refuses a kubeconfig context that makes no usable name, and says to set one', () => {
    expect(() => loadConfig({ kubeconfig: kubeconfigWithContext('Cluster') }, {})).toThrow(
      /kubeconfig context "Cluster" does not make one: it "cluster" is reserved.*; set it/,
    );
  });
});
