// Liveness, readiness and Prometheus metrics on one small HTTP server, as kubelet probes and
// Prometheus scrapes expect: GET /healthz, /readyz, /metrics.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

export interface HealthOptions {
  port: number;
  host?: string;
  ready: () => boolean;
  /** Why it is not ready (e.g. a CRD is missing), shown in the 503 body of /readyz. */
  notReadyReason?: () => string | undefined;
  registry?: Registry;
  /** A line appended to /readyz (leader election: who leads). */
  statusLine?: () => string;
  /** Extra exposition text appended to /metrics (the Temporal SDK's own metrics). */
  extraMetrics?: () => Promise<string>;
}

export function startHealthServer(opts: HealthOptions): Promise<HealthServer> {
  const server = http.createServer((req, res) => {
    const url = req.url?.split('?')[0];
    if (url === '/healthz' || url === '/livez') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    } else if (url === '/readyz') {
      const ok = opts.ready();
      const reason = ok ? undefined : opts.notReadyReason?.();
      const status = opts.statusLine ? `\n${opts.statusLine()}\n` : '';
      res
        .writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' })
        .end((ok ? 'ready' : `not ready${reason ? `: ${reason}` : ''}\n`) + status);
    } else if (url === '/metrics' && opts.registry) {
      const registry = opts.registry;
      void (async (): Promise<void> => {
        const own = await registry.metrics();
        const extra = opts.extraMetrics ? await opts.extraMetrics().catch(() => '') : '';
        res.writeHead(200, { 'content-type': registry.contentType }).end(own + extra);
      })();
    } else {
      res.writeHead(404).end('not found');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}
