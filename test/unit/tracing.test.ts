// Tracing is off unless an OTLP endpoint is configured, and a started tracing uninstalls itself
// on shutdown. operator.ts starts it only when config.tracing is set (and imports the SDK only then).
import { context, propagation, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../operator/config.js';
import { startTracing } from '../../operator/tracing.js';
import { startOtlpReceiver } from '../support/otlp-receiver.js';

/** Whether the process has a tracer and a propagator installed: a recording span, a traceparent. */
function installed(): { recording: boolean; traceparent: boolean } {
  const span = trace.getTracer('probe').startSpan('probe');
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), carrier);
  const recording = span.isRecording();
  span.end();
  return { recording, traceparent: 'traceparent' in carrier };
}

describe('tracing configuration', () => {
  it.each([
    ['nothing set', {}, undefined],
    ['an unrelated OTEL_ variable', { OTEL_SERVICE_NAME: 'x' }, undefined],
    [
      'OTEL_EXPORTER_OTLP_ENDPOINT (the signal path is added)',
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' },
      { tracesUrl: 'http://collector:4318/v1/traces', serviceName: 'kubeskippy' },
    ],
    [
      'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (taken as it is, and it wins)',
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://b/otlp/traces',
        OTEL_SERVICE_NAME: 'kubeskippy-eu',
      },
      { tracesUrl: 'https://b/otlp/traces', serviceName: 'kubeskippy-eu' },
    ],
    [
      'OTEL_SDK_DISABLED=true beside an endpoint',
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_SDK_DISABLED: 'true' },
      undefined,
    ],
  ])('%s', (_, env, expected) => {
    expect(loadConfig({}, env).tracing).toEqual(expected);
  });

  it('refuses an endpoint that is not an http(s) URL', () => {
    expect(() => loadConfig({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317' })).toThrow(ConfigError);
  });
});

describe('tracing installation', () => {
  it('installs nothing by default, a tracer and W3C propagation when started, and removes them on shutdown', async () => {
    expect(installed()).toEqual({ recording: false, traceparent: false });
    const receiver = await startOtlpReceiver();
    try {
      const tracing = startTracing({ tracesUrl: `${receiver.url}/v1/traces`, serviceName: 'probe-service' });
      expect(tracing.plugin.name).toBe('OpenTelemetryPlugin');
      expect(installed()).toEqual({ recording: true, traceparent: true });
      await tracing.shutdown();
      expect(installed()).toEqual({ recording: false, traceparent: false });
      // The shutdown flushed the batch: the probe span reached the collector, named by the resource.
      expect(receiver.spans).toMatchObject([
        { name: 'probe', resource: { 'service.name': 'probe-service' } },
      ]);
    } finally {
      await receiver.close();
    }
  });

  it('stops cleanly when the collector is unreachable (the last batch is lost, the stop is not)', async () => {
    const tracing = startTracing({ tracesUrl: 'http://127.0.0.1:9/v1/traces', serviceName: 'kubeskippy' });
    installed();
    await expect(tracing.shutdown()).resolves.toBeUndefined();
    expect(installed()).toEqual({ recording: false, traceparent: false });
  });
});
