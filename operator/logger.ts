// Structured JSON logs (pino). Every line carries its component, and the callers bind policy,
// target and workflow id where they have them. Temporal's own logs (worker, workflow `log`) are
// routed into the same logger, so one stream tells the whole story.
import { DefaultLogger, makeTelemetryFilterString, Runtime, type LogLevel } from '@temporalio/worker';
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

export function createLogger(level = 'info', bindings: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { app: 'kubeskippy', ...bindings } });
}

const TEMPORAL_LEVEL: Record<string, LogLevel> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
  fatal: 'ERROR',
  silent: 'ERROR',
};

let installed = false;

/**
 * Installs the Temporal Runtime (once per process) with logs forwarded to pino and, when given,
 * the SDK's own Prometheus metrics on `sdkMetricsAddress` (HOST:PORT), which /metrics re-exports.
 */
export function installTemporalRuntime(logger: Logger, opts: { sdkMetricsAddress?: string } = {}): void {
  if (installed) return;
  installed = true;
  const temporalLogger = new DefaultLogger(TEMPORAL_LEVEL[logger.level] ?? 'INFO', (entry) => {
    const level = entry.level.toLowerCase() as 'trace' | 'debug' | 'info' | 'warn' | 'error';
    logger[level]({ ...entry.meta, component: 'temporal' }, entry.message);
  });
  Runtime.install({
    logger: temporalLogger,
    // The SDK core (Rust) logs too; forward its warnings into the same stream instead of stderr.
    telemetryOptions: {
      logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN' }) },
      ...(opts.sdkMetricsAddress ? { metrics: { prometheus: { bindAddress: opts.sdkMetricsAddress } } } : {}),
    },
  });
}
