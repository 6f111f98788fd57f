import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULTS, loadConfig } from '../../operator/config.js';

describe('operator configuration', () => {
  it('uses defaults when nothing is set', () => {
    expect(loadConfig({}, {})).toMatchObject({
      temporalAddress: DEFAULTS.temporalAddress,
      temporalNamespace: 'default',
      taskQueue: 'kubeskippy',
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
