// The HTTP front: discovery, OpenAPI, health, version, /sim/faults, /metrics/pods, then resource handlers.
// Authentication is accepted blindly (any bearer token or none); there is no authorization.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ApiRequest, ServerContext } from './context.js';
import { apiGroup, apiGroupList, apiResourceList, apiVersions } from './discovery.js';
import { notFoundPath } from './errors.js';
import type { FaultConfig } from './faults.js';
import { handleResource } from './handlers.js';
import { parseJsonBody, readBody, sendError, sendJson } from './http-util.js';
import { EXPOSITION_CONTENT_TYPE, writeExposition } from './exposition.js';
import { openApiDocument, openApiRoot } from './openapi.js';
import { podSeries } from './pod-series.js';
import { parsePath } from './router.js';

export const VERSION_INFO = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.4-kubeskippy-sim',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2025-01-01T00:00:00Z',
  goVersion: 'go1.23.8',
  compiler: 'gc',
  platform: 'linux/amd64',
};

function found<T>(v: T | undefined): T {
  if (v === undefined) throw notFoundPath();
  return v;
}

export interface DropWatchesOptions {
  /** Only watches whose path matches this regular expression. */
  pathPattern?: string;
  /** End the streams cleanly (clients resume) instead of cutting the connections (the default). */
  graceful?: boolean;
}

/** Ends the open watches now; returns how many. */
export function dropWatches(ctx: ServerContext, opts: DropWatchesOptions = {}): number {
  const re = opts.pathPattern ? new RegExp(opts.pathPattern) : undefined;
  let n = 0;
  for (const w of [...ctx.watches.values()]) {
    if (re && !re.test(w.path)) continue;
    if (opts.graceful) w.close();
    else w.reset();
    n++;
  }
  return n;
}

// The sim's own control endpoints, for tests and benchmarks driving a sim in another process:
//   GET|PUT /sim/faults          the injected faults (faults.ts)
//   POST    /sim/watches/drop    end open watches now (?pathPattern=&graceful=true), answers {dropped}
//   POST    /sim/compact         forget the watch history: older resumes answer 410 Expired
//   GET|DELETE /sim/requests     request counts (requests.ts); DELETE resets them
function simControl(ctx: ServerContext, req: ApiRequest, res: ServerResponse): void {
  const { pathname, method } = req;
  if (pathname === '/sim/faults' && (method === 'GET' || method === 'PUT')) {
    if (method === 'PUT') ctx.faults.set(parseJsonBody(req.body) as FaultConfig);
    return sendJson(res, 200, ctx.faults.get());
  }
  if (pathname === '/sim/watches/drop' && method === 'POST')
    return sendJson(res, 200, {
      dropped: dropWatches(ctx, {
        ...(req.query.get('pathPattern') ? { pathPattern: req.query.get('pathPattern')! } : {}),
        graceful: req.query.get('graceful') === 'true',
      }),
    });
  if (pathname === '/sim/compact' && method === 'POST') {
    ctx.store.history.compact();
    return sendJson(res, 200, { compactedTo: ctx.store.history.oldest() });
  }
  if (pathname === '/sim/requests' && (method === 'GET' || method === 'DELETE')) {
    if (method === 'DELETE') ctx.requests.reset();
    return sendJson(res, 200, ctx.requests.get());
  }
  throw notFoundPath();
}

async function route(
  ctx: ServerContext,
  req: ApiRequest,
  res: ServerResponse,
  hostPort: string,
): Promise<void> {
  const { pathname } = req;
  const registry = ctx.store.registry;
  if (pathname === '/version') return sendJson(res, 200, VERSION_INFO);
  if (/^\/(healthz|readyz|livez)(\/.*)?$/.test(pathname)) {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('ok');
    return;
  }
  if (pathname.startsWith('/sim/')) return simControl(ctx, req, res);
  // cAdvisor and kube-state-metrics series of every pod, for a Prometheus to scrape (pod-series.ts).
  if (pathname === '/metrics/pods' && req.method === 'GET') {
    const families = podSeries({ store: ctx.store, metrics: ctx.metrics(), cpu: ctx.cpuCounters });
    res.writeHead(200, { 'Content-Type': EXPOSITION_CONTENT_TYPE });
    res.end(writeExposition(families));
    return;
  }
  if (pathname === '/openapi/v3') return sendJson(res, 200, openApiRoot(registry));
  const oa = /^\/openapi\/v3\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(pathname);
  if (oa) return sendJson(res, 200, found(openApiDocument(registry, oa[2] ?? '', oa[1] ?? oa[3]!)));
  const parsed = parsePath(pathname);
  if (req.method === 'GET') {
    // Legacy discovery; see discovery.ts for why aggregated discovery is not served.
    if (parsed.kind === 'api-versions') return sendJson(res, 200, apiVersions(hostPort));
    if (parsed.kind === 'group-list') return sendJson(res, 200, apiGroupList(registry));
    if (parsed.kind === 'group') return sendJson(res, 200, found(apiGroup(registry, parsed.group)));
    if (parsed.kind === 'resource-list')
      return sendJson(res, 200, found(apiResourceList(registry, parsed.group, parsed.version)));
  }
  if (parsed.kind === 'resource') {
    const watch = req.query.get('watch') === 'true' || req.query.get('watch') === '1';
    // A server-side dry run (a patch's preview) changes nothing: kept apart, so a count of the
    // writes a client made is not inflated by its previews.
    const dryRun = req.query.has('dryRun') ? ' (dryRun)' : '';
    ctx.requests.recordPath(`${watch ? 'WATCH' : req.method}${dryRun} ${pathname}`);
    return handleResource(ctx, req, res, parsed.path);
  }
  throw notFoundPath();
}

export function createApiHttpServer(ctx: ServerContext, hostPort: () => string): Server {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      try {
        const url = new URL(req.url ?? '/', 'http://localhost');
        const raw = await readBody(req);
        const apiReq: ApiRequest = {
          method: req.method ?? 'GET',
          pathname: url.pathname.replace(/\/+$/, '') || '/',
          query: url.searchParams,
          accept: req.headers.accept ?? '',
          contentType: req.headers['content-type'] ?? '',
          body: raw.toString('utf8'),
          raw,
        };
        await route(ctx, apiReq, res, hostPort());
      } catch (err) {
        sendError(res, err);
      }
    })();
  });
  server.keepAliveTimeout = 65_000;
  return server;
}
