// The only reader of process.env, so every setting is seen, validated and documented in one place. Every setting has a flag and an environment variable;
// flags win. The README's configuration table is this file in words.
import { parseDuration } from '../domain/duration.js';
export interface OperatorConfig {
  /** Kubeconfig path; empty = in-cluster service account, else $KUBECONFIG/~/.kube/config. */
  kubeconfig?: string;
  temporalAddress: string;
  temporalNamespace: string;
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
   * URL prefixes `webhook` actions may POST to (KUBESKIPPY_WEBHOOK_ALLOW, comma-separated). The
   * operator's owner decides where it may send requests, not a policy's author: empty allows none.
   */
  webhookAllow: string[];
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
}

export type Env = Record<string, string | undefined>;

export const DEFAULTS = {
  temporalAddress: '127.0.0.1:7233',
  temporalNamespace: 'default',
  taskQueue: 'kubeskippy',
  temporalUiUrl: 'http://127.0.0.1:8233',
  metricsPort: 9464,
  logLevel: 'info',
  watchCache: true,
  /** A heartbeat in status is what Kubernetes moved node heartbeats out of NodeStatus for (Leases). */
  statusHeartbeat: '5m',
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

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** Merges flags over environment over defaults, and checks every value. */
export function loadConfig(
  flags: Partial<Record<keyof OperatorConfig, string | number | boolean>> = {},
  env: Env = process.env,
): OperatorConfig {
  const pick = (flag: keyof OperatorConfig, envName: string): string | undefined => {
    const v = flags[flag];
    return v !== undefined ? String(v) : env[envName] || undefined;
  };
  const logLevel = pick('logLevel', 'KUBESKIPPY_LOG_LEVEL') ?? DEFAULTS.logLevel;
  if (!LEVELS.includes(logLevel))
    throw new ConfigError(`log level must be one of ${LEVELS.join(', ')}, got "${logLevel}"`);
  const config: OperatorConfig = {
    temporalAddress: pick('temporalAddress', 'TEMPORAL_ADDRESS') ?? DEFAULTS.temporalAddress,
    temporalNamespace: pick('temporalNamespace', 'TEMPORAL_NAMESPACE') ?? DEFAULTS.temporalNamespace,
    taskQueue: pick('taskQueue', 'KUBESKIPPY_TASK_QUEUE') ?? DEFAULTS.taskQueue,
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
  };
  const optional: [keyof OperatorConfig, string][] = [
    ['kubeconfig', 'KUBECONFIG'],
    ['temporalApiKey', 'TEMPORAL_API_KEY'],
    ['prometheusUrl', 'KUBESKIPPY_PROMETHEUS_URL'],
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
  const alertPort = pick('alertPort', 'KUBESKIPPY_ALERT_PORT');
  if (alertPort !== undefined) config.alertPort = port(alertPort, 'alert port', 0);
  const alertTokenFile = pick('alertTokenFile', 'KUBESKIPPY_ALERT_TOKEN_FILE');
  if (alertTokenFile !== undefined) config.alertTokenFile = alertTokenFile;
  if (config.alertPort !== undefined && !config.alertTokenFile)
    throw new ConfigError(
      'the alert receiver (KUBESKIPPY_ALERT_PORT) needs a bearer token: set KUBESKIPPY_ALERT_TOKEN_FILE ' +
        '(--alert-token-file) to a file holding it, and give Alertmanager the same token',
    );
  if (config.temporalApiKey) config.temporalTls = true;
  if (!/^[^:\s]+:\d+$/.test(config.temporalAddress)) {
    throw new ConfigError(`Temporal address must be HOST:PORT, got "${config.temporalAddress}"`);
  }
  return config;
}
