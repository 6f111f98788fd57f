// OpenTelemetry traces, on only when an OTLP endpoint is configured (operator/config.ts reads
// OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, OTEL_SERVICE_NAME and OTEL_SDK_DISABLED). operator.ts
// imports this file lazily, so an operator without an endpoint loads no OTel SDK at all.
//
// Temporal's OpenTelemetry plugin carries the span context through workflow and activity
// headers: a policy tick (workflows/tracing.ts) starts a trace, the HealingAction child, its
// activities and their Kubernetes requests (undici, which client-node 2.x sends through) join it.
//
//   PolicyTick ─▶ StartActivity:collectSnapshot ─▶ RunActivity:collectSnapshot ─▶ GET
//              └▶ HealAction ─▶ StartChildWorkflow:healingActionWorkflow ─▶ RunWorkflow:… ─▶
//                 StartActivity:executeAction ─▶ RunActivity:executeAction ─▶ DELETE …
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';
import type { OperatorConfig } from './config.js';

const require = createRequire(import.meta.url);

/**
 * The workflow interceptors, for a prebuilt bundle (bundleWorkflowCode's
 * workflowInterceptorModules): a worker given a bundle cannot add them itself.
 */
export const TRACING_WORKFLOW_MODULES: string[] = [
  require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
];

export interface Tracing {
  /** For Worker.create and new Client: interceptors, the workflow modules and the span sink. */
  plugin: OpenTelemetryPlugin;
  /** Flushes the spans still queued and unregisters the globals (graceful stop). */
  shutdown(): Promise<void>;
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export function startTracing(settings: NonNullable<OperatorConfig['tracing']>): Tracing {
  const resource = new Resource({
    [ATTR_SERVICE_NAME]: settings.serviceName,
    [ATTR_SERVICE_VERSION]: packageVersion(),
  });
  // Batched: spans leave in the background, never on an activity's or a workflow task's path.
  const processor = new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.tracesUrl }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  // Global: the interceptors inject and extract headers with the global propagator (W3C), and
  // the activities' context reaches undici's diagnostics channels through the global context manager.
  provider.register();
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    // Only requests made inside a traced activity: the watch cache's list+watch loop and the
    // exporter's own posts are not part of any incident.
    instrumentations: [new UndiciInstrumentation({ requireParentforSpans: true })],
  });
  const plugin = new OpenTelemetryPlugin({
    resource,
    spanProcessor: processor,
    tracer: provider.getTracer('kubeskippy'),
  });
  return {
    plugin,
    shutdown: async () => {
      unregister();
      try {
        await provider.shutdown();
      } catch {
        // The collector is away: the last batch is lost, which must not fail the operator's stop.
      } finally {
        // A later operator in the same process (tests, the demo's restarts) can register again.
        trace.disable();
        context.disable();
        propagation.disable();
      }
    },
  };
}
