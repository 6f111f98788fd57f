// The Alertmanager receiver: POST /alertmanager on its own port (--alert-port), for Alertmanager's
// webhook_configs. Each alert of a (possibly grouped) notification goes, by signal, to every policy
// workflow with an alert trigger that wants it. The answer is 2xx only once every signal was
// accepted — a signal is durable in the workflow's history from then on — so Alertmanager retries
// our failures; retries and HA duplicates are harmless (episodes dedupe in the workflow).
//
//   no/wrong bearer token → 401   body over maxBytes → 413   not JSON / not v4 → 400 (field named)
//   a signal failed → 503 (Alertmanager retries)   otherwise → 200 {alerts, delivered, unmatched}
import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, type Registry } from 'prom-client';
import { policyWantsAlert, type AlertNotice } from '../../domain/alerts.js';
import { policyWorkflowId } from '../../domain/ids.js';
import { normalizePolicyRef } from '../../domain/policy.js';
import type { NormalizedPolicy } from '../../domain/policy-types.js';
import type { PolicyRefInput } from '../../workflows/messages.js';
import type { Logger } from '../logger.js';
import { noticesOf, parsePayload } from './payload.js';

export const ALERT_PATH = '/alertmanager';
/** Alertmanager's notifications are small; a group of 1,000 alerts is a few hundred KiB. */
export const DEFAULT_MAX_BYTES = 1 << 20;

export interface AlertReceiverOptions {
  port: number;
  host: string;
  /** The bearer token Alertmanager sends (http_config.authorization.credentials). */
  token: string;
  maxBytes?: number;
  /** The policies whose workflows run now. */
  policies: () => PolicyRefInput[];
  /** Signals one policy workflow with its alerts; resolves once the server accepted the signal. */
  deliver: (workflowId: string, notices: AlertNotice[]) => Promise<void>;
  logger: Logger;
  registry?: Registry;
}

export interface AlertReceiver {
  port: number;
  close(): Promise<void>;
}

type Outcome = 'delivered' | 'unmatched' | 'unauthorized' | 'too_large' | 'invalid' | 'failed';

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly outcome: Outcome,
    message: string,
  ) {
    super(message);
  }
}

function authorized(header: string | undefined, token: string): boolean {
  const want = Buffer.from(`Bearer ${token}`);
  const got = Buffer.from(header ?? '');
  return got.length === want.length && timingSafeEqual(got, want);
}

async function readBody(req: http.IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) throw new HttpError(413, 'too_large', `body over ${maxBytes} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new HttpError(413, 'too_large', `body over ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'invalid', 'body: not JSON');
  }
}

/** Which policy gets which alerts (each alert may go to several policies, or none). */
export function routeAlerts(
  policies: NormalizedPolicy[],
  notices: AlertNotice[],
): { routes: Map<NormalizedPolicy, AlertNotice[]>; unmatched: number } {
  const routes = new Map<NormalizedPolicy, AlertNotice[]>();
  let unmatched = 0;
  for (const n of notices) {
    const wanting = policies.filter((p) => policyWantsAlert(p, n.labels));
    if (!wanting.length) unmatched += 1;
    for (const p of wanting) routes.set(p, [...(routes.get(p) ?? []), n]);
  }
  return { routes, unmatched };
}

export function startAlertReceiver(opts: AlertReceiverOptions): Promise<AlertReceiver> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const counter = new Counter({
    name: 'kubeskippy_alert_notifications_total',
    help: 'Alertmanager notifications received, by outcome (delivered, unmatched, unauthorized, too_large, invalid, failed)',
    labelNames: ['outcome'],
    registers: opts.registry ? [opts.registry] : [],
  });
  // A policy's normalized form, once per generation (refs are replaced when the CR changes).
  const normalized = new WeakMap<PolicyRefInput, NormalizedPolicy>();
  const normalize = (ref: PolicyRefInput): NormalizedPolicy => {
    let p = normalized.get(ref);
    if (!p) normalized.set(ref, (p = normalizePolicyRef(ref)));
    return p;
  };

  async function handle(req: http.IncomingMessage): Promise<{ outcome: Outcome; body: object }> {
    if (!authorized(req.headers.authorization, opts.token))
      throw new HttpError(401, 'unauthorized', 'a valid bearer token is required');
    const parsed = parsePayload(await readBody(req, maxBytes));
    if (!parsed.ok) throw new HttpError(400, 'invalid', parsed.error);
    const notices = noticesOf(parsed.payload);
    const { routes, unmatched } = routeAlerts(opts.policies().map(normalize), notices);
    const delivered = [...routes].map(([p, list]) => ({
      policy: `${p.namespace}/${p.name}`,
      alerts: list.length,
      sent: opts.deliver(policyWorkflowId(p.cluster, p.namespace, p.name), list),
    }));
    const failed = (await Promise.allSettled(delivered.map((d) => d.sent))).flatMap((r, i) =>
      r.status === 'rejected' ? [`${delivered[i]!.policy}: ${(r.reason as Error).message}`] : [],
    );
    if (failed.length) throw new HttpError(503, 'failed', `not recorded, retry: ${failed.join('; ')}`);
    const body = { alerts: notices.length, delivered: delivered.map(({ sent: _, ...d }) => d), unmatched };
    return { outcome: delivered.length ? 'delivered' : 'unmatched', body };
  }

  const server = http.createServer((req, res) => {
    const url = req.url?.split('?')[0];
    if (url !== ALERT_PATH) return void res.writeHead(404).end('not found');
    if (req.method !== 'POST') return void res.writeHead(405, { allow: 'POST' }).end('POST only');
    void handle(req).then(
      ({ outcome, body }) => {
        counter.inc({ outcome });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      },
      (err: unknown) => {
        const e = err instanceof HttpError ? err : new HttpError(500, 'failed', (err as Error).message);
        counter.inc({ outcome: e.outcome });
        opts.logger.warn({ status: e.status, error: e.message }, 'alert notification refused');
        // A body left unread would keep the connection busy; close it instead.
        res.writeHead(e.status, { 'content-type': 'text/plain', connection: 'close' }).end(`${e.message}\n`);
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}
