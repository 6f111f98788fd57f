// Spans from workflow code: one trace per policy tick, so the tick that decides an action is the
// root its HealingAction child, activities and Kubernetes requests hang under (the interceptors
// carry the context in headers). The tracer is the one Temporal's workflow interceptors register
// in the sandbox when tracing is on (operator/tracing.ts); off, @opentelemetry/api hands out a
// no-op tracer and this is a plain call. Spans issue no commands, so a history replays the same
// with tracing on or off.
import { SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';

export interface SpanOptions {
  attributes: Attributes;
  /** A new trace rather than a child of the workflow run's span (which lives as long as the run). */
  root?: boolean;
}

export function inSpan<T>(name: string, opts: SpanOptions, fn: () => Promise<T>): Promise<T> {
  const tracer = trace.getTracer('kubeskippy');
  return tracer.startActiveSpan(
    name,
    { attributes: opts.attributes, root: opts.root ?? false },
    async (span) => {
      try {
        return await fn();
      } catch (err) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}
