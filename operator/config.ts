// The only reader of process.env, so every setting is seen, validated and documented in one place. Every setting has a flag and an environment variable;
// flags win. The README's configuration table is this file in words.
import { hostname } from 'node:os';
import { parseDuration } from '../domain/duration.js';
import { DEFAULT_ELECTION_TIMINGS, timingsProblem } from '../domain/leader-election.js';
import {
  ClusterNameError,
  currentKubeContext,
  resolveClusterName,
  type ClusterNameSource,
} from './cluster-name.js';
export interface OperatorConfig {
  /** Kubeconfig path; empty = in-cluster service account, else $KUBECONFIG/~/.kube/config. */
  kubeconfig?: string;
  temporalAddress: string;
  temporalNamespace: string;
  /**
   * This cluster's name in a fleet sharing one Temporal namespace (KUBESKIPPY_CLUSTER_NAME, a DNS
   * label): in workflow ids, the KubeSkippyCluster search attribute, HealingActions and metrics.
   * Default: the kubeconfig's current context, else `default` (operator/cluster-name.ts).
   */
  clusterName: string;
  clusterNameFrom: ClusterNameSource;
  /** Default `kubeskippy-<clusterName>`: each cluster's workers poll only its own workflows. */
  taskQueue: string;
  /** Temporal Cloud / TLS: API key (optional). */
  temporalApiKey?: string;
  temporalTls: boolean;
  /** Base URL of the Temporal Web UI, for links on HealingActions. */
  temporalUiUrl: string;
  /** Prometheus metrics and health endpoints; 0 disables. */
  metricsPort: number;
  /**
   * Where /healthz, /readyz and /metrics listen (KUBESKIPPY_METRICS_ADDRESS): 127.0.0.1 on a
   * laptop, so a local operator is not reachable from the network; 0.0.0.0 in a pod (the kubelet's
   * probes and Prometheus come from outside the pod; the Deployment sets it explicitly too).
   */
  metricsAddress: string;
  logLevel: string;
  /** Prometheus server for PromQL triggers. */
  prometheusUrl?: string;
  /**
   * Alertmanager (its base URL) whose active silences gate actions on the targets they match
   * (KUBESKIPPY_ALERTMANAGER_URL; safetyRules.whenSilenced). Unset: silences are not read.
   */
  alertmanagerUrl?: string;
  /**
   * URL prefixes `webhook` actions may POST to (KUBESKIPPY_WEBHOOK_ALLOW, comma-separated). The
   * operator's owner decides where it may send requests, not a policy's author: empty allows none.
   */
  webhookAllow: string[];
  /**
   * The Secret (namespace/name) with notification endpoints for policies that name none
   * (KUBESKIPPY_NOTIFICATIONS_SECRET); unset: only policies with their own secretRef notify.
   */
  notificationsSecret?: { namespace: string; name: string };
  /**
   * The Alertmanager receiver's port (KUBESKIPPY_ALERT_PORT; unset = no receiver, 0 = any free
   * port). It listens on metricsAddress at POST /alertmanager and needs alertTokenFile.
   */
  alertPort?: number;
  /** A file holding the bearer token Alertmanager must send (KUBESKIPPY_ALERT_TOKEN_FILE). */
  alertTokenFile?: string;
  ollamaHost?: string;
  openaiApiKey?: string;
  openaiBaseUrl?: string;
  /** Model for AI analysis when a policy names none. */
  aiModel?: string;
  /**
   * One shared list+watch cache per worker for snapshots, and evaluateNow wake-ups on condition /
   * event changes (KUBESKIPPY_WATCH_CACHE=on|off). Off = every evaluation lists from the API.
   */
  watchCache: boolean;
  /**
   * How far status.lastEvaluated may lag before the controller patches it on its own
   * (KUBESKIPPY_STATUS_HEARTBEAT, a duration). Every other status change is patched at once.
   */
  statusHeartbeatMs: number;
  /**
   * A workflow bundle written beforehand by bundleWorkflowCode (KUBESKIPPY_WORKFLOW_BUNDLE, a file
   * path): the worker loads it instead of bundling the workflows at every start, which takes
   * seconds (Temporal's advice for production; a restarted worker is back at once).
   */
  workflowBundle?: string;
  /**
   * OpenTelemetry traces over OTLP/HTTP, on only when OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (the
   * full URL) or OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/traces) is set and OTEL_SDK_DISABLED is not
   * true. The exporter reads the other OTEL_EXPORTER_OTLP_* variables (headers, timeout) itself.
   */
  tracing?: { tracesUrl: string; serviceName: string };
  /**
   * Leader election for the controller half (KUBESKIPPY_LEADER_ELECT=on|off, --leader-elect): only
   * the replica holding the Lease maps CRs to workflows and mirrors status; every replica runs a
   * worker. Off by default (one local process); the Deployment turns it on.
   */
  leaderElect: boolean;
  /**
   * The Lease's namespace (KUBESKIPPY_LEADER_ELECTION_NAMESPACE, else POD_NAMESPACE); unset: the
   * service account's namespace file, else the kubeconfig context's namespace (operator/leader).
   */
  leaderElectionNamespace?: string;
  /** The Lease's name (KUBESKIPPY_LEADER_ELECTION_ID). */
  leaderElectionId: string;
  /** Who this replica is in the Lease: POD_NAME, else hostname_pid. */
  leaderElectionIdentity: string;
  /** client-go's three durations (KUBESKIPPY_LEADER_ELECT_LEASE_DURATION, …_RENEW_DEADLINE, …_RETRY_PERIOD). */
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export type Env = Record<string, string | undefined>;

export const DEFAULTS = {
  temporalAddress: '127.0.0.1:7233',
  temporalNamespace: 'default',
  /** The task queue is this prefix + `-` + the cluster name unless set. */
  taskQueuePrefix: 'kubeskippy',
  temporalUiUrl: 'http://127.0.0.1:8233',
  metricsPort: 9464,
  logLevel: 'info',
  watchCache: true,
  /** A heartbeat in status is what Kubernetes moved node heartbeats out of NodeStatus for (Leases). */
  statusHeartbeat: '5m',
  leaderElectionId: 'kubeskippy-controller',
} as const;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function port(value: string | number | undefined, name: string, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new ConfigError(`${name} must be a port number between 0 and 65535, got "${value}"`);
  }
  return n;
}

function onOff(value: string | undefined, name: string, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  if (['on', 'true', '1'].includes(value)) return true;
  if (['off', 'false', '0'].includes(value)) return false;
  throw new ConfigError(`${name} must be on or off, got "${value}"`);
}

function heartbeat(value: string | undefined): number {
  const text = value ?? DEFAULTS.statusHeartbeat;
  try {
    const ms = parseDuration(text);
    if (ms < 1000) throw new Error('must be at least 1s');
    return ms;
  } catch (err) {
    throw new ConfigError(`status heartbeat (KUBESKIPPY_STATUS_HEARTBEAT): ${(err as Error).message}`);
  }
}

function urlPrefixes(value: string | undefined): string[] {
  const list = (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  for (const prefix of list) {
    if (!/^https?:\/\/[^/\s]+/.test(prefix))
      throw new ConfigError(
        `webhook allow-list (KUBESKIPPY_WEBHOOK_ALLOW): each entry must start http:// or https:// and a host, got "${prefix}"`,
      );
  }
  return list;
}

function durationOf(value: string | undefined, name: string, fallbackMs: number): number {
  if (value === undefined) return fallbackMs;
  try {
    return parseDuration(value);
  } catch (err) {
    throw new ConfigError(`${name}: ${(err as Error).message}`);
  }
}

function clusterName(pick: Picker, env: Env): Pick<OperatorConfig, 'clusterName' | 'clusterNameFrom'> {
  try {
    const kubeconfig = pick('kubeconfig', 'KUBECONFIG');
    return resolveClusterName(pick('clusterName', 'KUBESKIPPY_CLUSTER_NAME'), () =>
      // In a pod without a kubeconfig the service account is used, and nothing names the cluster.
      kubeconfig || !env['KUBERNETES_SERVICE_HOST'] ? currentKubeContext(kubeconfig, env) : undefined,
    );
  } catch (err) {
    if (err instanceof ClusterNameError) throw new ConfigError(err.message);
    throw err;
  }
}

type Picker = (flag: keyof OperatorConfig, envName: string) => string | undefined;

/** The leader-election settings, checked as client-go checks them (one leader at a time). */
function leaderElection(pick: Picker, env: Env): LeaderElectionConfig {
  const timings = {
    leaseDurationMs: durationOf(
      pick('leaseDurationMs', 'KUBESKIPPY_LEADER_ELECT_LEASE_DURATION'),
      'lease duration (KUBESKIPPY_LEADER_ELECT_LEASE_DURATION)',
      DEFAULT_ELECTION_TIMINGS.leaseDurationMs,
    ),
    renewDeadlineMs: durationOf(
      pick('renewDeadlineMs', 'KUBESKIPPY_LEADER_ELECT_RENEW_DEADLINE'),
      'renew deadline (KUBESKIPPY_LEADER_ELECT_RENEW_DEADLINE)',
      DEFAULT_ELECTION_TIMINGS.renewDeadlineMs,
    ),
    retryPeriodMs: durationOf(
      pick('retryPeriodMs', 'KUBESKIPPY_LEADER_ELECT_RETRY_PERIOD'),
      'retry period (KUBESKIPPY_LEADER_ELECT_RETRY_PERIOD)',
      DEFAULT_ELECTION_TIMINGS.retryPeriodMs,
    ),
  };
  const problem = timingsProblem(timings);
  if (problem) throw new ConfigError(`leader election: ${problem}`);
  const namespace =
    pick('leaderElectionNamespace', 'KUBESKIPPY_LEADER_ELECTION_NAMESPACE') ??
    (env['POD_NAMESPACE'] || undefined);
  return {
    leaderElect: onOff(pick('leaderElect', 'KUBESKIPPY_LEADER_ELECT'), 'leader election', false),
    ...(namespace ? { leaderElectionNamespace: namespace } : {}),
    leaderElectionId: pick('leaderElectionId', 'KUBESKIPPY_LEADER_ELECTION_ID') ?? DEFAULTS.leaderElectionId,
    leaderElectionIdentity: env['POD_NAME'] || `${hostname()}_${process.pid}`,
    ...timings,
  };
}

type LeaderElectionConfig = Pick<
  OperatorConfig,
  | 'leaderElect'
  | 'leaderElectionNamespace'
  | 'leaderElectionId'
  | 'leaderElectionIdentity'
  | 'leaseDurationMs'
  | 'renewDeadlineMs'
  | 'retryPeriodMs'
>;

const DNS = '[a-z0-9]([-a-z0-9.]*[a-z0-9])?';

function secretRef(value: string): { namespace: string; name: string } {
  const m = new RegExp(`^(${DNS})/(${DNS})$`).exec(value.trim());
  if (!m)
    throw new ConfigError(
      `notifications Secret (KUBESKIPPY_NOTIFICATIONS_SECRET) must be NAMESPACE/NAME, got "${value}"`,
    );
  return { namespace: m[1]!, name: m[3]! };
}

/** The OpenTelemetry SDK's own variables (its specification's names), read here like every other. */
function tracingSettings(env: Env): OperatorConfig['tracing'] {
  if (env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true') return undefined;
  const base = env['OTEL_EXPORTER_OTLP_ENDPOINT']?.trim();
  const tracesUrl =
    env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']?.trim() ||
    (base ? `${base.replace(/\/+$/, '')}/v1/traces` : '');
  if (!tracesUrl) return undefined;
  if (!/^https?:\/\/[^/\s]+/.test(tracesUrl))
    throw new ConfigError(`the OTLP endpoint must be an http:// or https:// URL, got "${tracesUrl}"`);
  return { tracesUrl, serviceName: env['OTEL_SERVICE_NAME']?.trim() || 'kubeskippy' };
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** Merges flags over environment over defaults, and checks every value. */
export function loadConfig(
  flags: Partial<Record<keyof OperatorConfig, string | number | boolean>> = {},
  env: Env = process.env,
): OperatorConfig {
  const pick: Picker = (flag, envName) => {
    const v = flags[flag];
    return v !== undefined ? String(v) : env[envName] || undefined;
  };
  const logLevel = pick('logLevel', 'KUBESKIPPY_LOG_LEVEL') ?? DEFAULTS.logLevel;
  if (!LEVELS.includes(logLevel))
    throw new ConfigError(`log level must be one of ${LEVELS.join(', ')}, got "${logLevel}"`);
  const cluster = clusterName(pick, env);
  const config: OperatorConfig = {
    ...cluster,
    temporalAddress: pick('temporalAddress', 'TEMPORAL_ADDRESS') ?? DEFAULTS.temporalAddress,
    temporalNamespace: pick('temporalNamespace', 'TEMPORAL_NAMESPACE') ?? DEFAULTS.temporalNamespace,
    taskQueue:
      pick('taskQueue', 'KUBESKIPPY_TASK_QUEUE') ?? `${DEFAULTS.taskQueuePrefix}-${cluster.clusterName}`,
    temporalTls: (pick('temporalTls', 'TEMPORAL_TLS') ?? 'false') === 'true',
    temporalUiUrl: pick('temporalUiUrl', 'KUBESKIPPY_TEMPORAL_UI_URL') ?? DEFAULTS.temporalUiUrl,
    metricsPort: port(pick('metricsPort', 'KUBESKIPPY_METRICS_PORT'), 'metrics port', DEFAULTS.metricsPort),
    metricsAddress:
      pick('metricsAddress', 'KUBESKIPPY_METRICS_ADDRESS') ??
      (env['KUBERNETES_SERVICE_HOST'] ? '0.0.0.0' : '127.0.0.1'),
    logLevel,
    watchCache: onOff(pick('watchCache', 'KUBESKIPPY_WATCH_CACHE'), 'watch cache', DEFAULTS.watchCache),
    statusHeartbeatMs: heartbeat(pick('statusHeartbeatMs', 'KUBESKIPPY_STATUS_HEARTBEAT')),
    webhookAllow: urlPrefixes(pick('webhookAllow', 'KUBESKIPPY_WEBHOOK_ALLOW')),
    ...leaderElection(pick, env),
  };
  const optional: [keyof OperatorConfig, string][] = [
    ['kubeconfig', 'KUBECONFIG'],
    ['temporalApiKey', 'TEMPORAL_API_KEY'],
    ['prometheusUrl', 'KUBESKIPPY_PROMETHEUS_URL'],
    ['alertmanagerUrl', 'KUBESKIPPY_ALERTMANAGER_URL'],
    ['ollamaHost', 'OLLAMA_HOST'],
    ['openaiApiKey', 'OPENAI_API_KEY'],
    ['openaiBaseUrl', 'OPENAI_BASE_URL'],
    ['aiModel', 'KUBESKIPPY_AI_MODEL'],
    ['workflowBundle', 'KUBESKIPPY_WORKFLOW_BUNDLE'],
  ];
  for (const [key, envName] of optional) {
    const v = pick(key, envName);
    if (v !== undefined) (config as unknown as Record<string, string>)[key] = v;
  }
  const secret = pick('notificationsSecret', 'KUBESKIPPY_NOTIFICATIONS_SECRET');
  if (secret !== undefined) config.notificationsSecret = secretRef(secret);
  const alertPort = pick('alertPort', 'KUBESKIPPY_ALERT_PORT');
  if (alertPort !== undefined) config.alertPort = port(alertPort, 'alert port', 0);
  const alertTokenFile = pick('alertTokenFile', 'KUBESKIPPY_ALERT_TOKEN_FILE');
  if (alertTokenFile !== undefined) config.alertTokenFile = alertTokenFile;
  if (config.alertPort !== undefined && !config.alertTokenFile)
    throw new ConfigError(
      'the alert receiver (KUBESKIPPY_ALERT_PORT) needs a bearer token: set KUBESKIPPY_ALERT_TOKEN_FILE ' +
        '(--alert-token-file) to a file holding it, and give Alertmanager the same token',
    );
  const tracing = tracingSettings(env);
  if (tracing) config.tracing = tracing;
  if (config.temporalApiKey) config.temporalTls = true;
  if (!/^[^:\s]+:\d+$/.test(config.temporalAddress)) {
    throw new ConfigError(`Temporal address must be HOST:PORT, got "${config.temporalAddress}"`);
  }
  return config;
}
