// Watch streams: newline-delimited `{type, object}` JSON over a chunked response, resumable from
// a resourceVersion, with BOOKMARKs, timeoutSeconds, 410 Gone as an ERROR event, and
// selector transitions reported as ADDED/DELETED the way the watch cache does.
import type { ServerResponse } from 'node:http';
import type { KObject, StoreEvent } from '../contract.js';
import type { ServerContext } from './context.js';
import { gone } from './errors.js';
import { matchesFields, parseFieldSelector } from './field-selectors.js';
import { apiVersionOf, type ResourceInfo } from './resources.js';
import { matchesLabels, parseLabelSelector } from './selectors.js';
import { toTable } from './table.js';

export interface WatchRequest {
  info: ResourceInfo;
  namespace?: string;
  query: URLSearchParams;
  pathname: string;
  table: boolean;
}

export function serveWatch(ctx: ServerContext, req: WatchRequest, res: ServerResponse): void {
  const { store, faults } = ctx;
  const { info, query } = req;
  const labels = parseLabelSelector(query.get('labelSelector') ?? undefined);
  const fields = parseFieldSelector(query.get('fieldSelector') ?? undefined, info.id);
  const matches = (o: KObject | undefined): boolean =>
    !!o &&
    (!req.namespace || o.metadata.namespace === req.namespace) &&
    matchesLabels(labels, o.metadata.labels) &&
    matchesFields(fields, o);
  const includeObject = query.get('includeObject');
  const encode = (type: string, object: unknown): string => {
    const obj =
      req.table && type !== 'ERROR' && type !== 'BOOKMARK'
        ? toTable(info, [object as KObject], { nowMs: store.now(), includeObject })
        : object;
    return `${JSON.stringify({ type, object: obj })}\n`;
  };

  // Decide what to replay before subscribing; everything below runs in one tick, so no event can slip in between.
  const rvParam = query.get('resourceVersion');
  let backlog: StoreEvent[];
  if (!rvParam || rvParam === '0') {
    backlog = store
      .list(info.id, { ...(req.namespace ? { namespace: req.namespace } : {}) })
      .map((object) => ({ type: 'ADDED', resource: info.id, object }));
  } else {
    const since = store.history.since(Number(rvParam));
    if (since === 'gone' || Number.isNaN(Number(rvParam))) {
      const err = gone(`too old resource version: ${rvParam} (${store.history.oldest()})`);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
      res.end(encode('ERROR', err.toStatus()));
      return;
    }
    backlog = since.filter((e) => e.resource === info.id);
  }

  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Transfer-Encoding': 'chunked',
    'Cache-Control': 'no-cache, private',
  });
  res.flushHeaders();
  ctx.watches.add(res);
  const timers: NodeJS.Timeout[] = [];
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    unsubscribe();
    timers.forEach(clearTimeout);
    ctx.watches.delete(res);
    res.end();
  };
  const send = (e: StoreEvent & { old?: KObject }): void => {
    if (closed || e.resource !== info.id) return;
    const now = matches(e.object);
    const before = e.type === 'MODIFIED' ? matches(e.old) : now;
    let type: string = e.type;
    if (e.type === 'MODIFIED' && now !== before) type = now ? 'ADDED' : 'DELETED';
    else if (!now) return;
    res.write(encode(type, e.object));
    if (faults.shouldDropWatch(req.pathname)) close();
  };
  const unsubscribe = store.subscribe(send);
  res.on('close', close);
  for (const e of backlog) send(e);

  const timeout = Number(query.get('timeoutSeconds') ?? 0);
  if (timeout > 0) timers.push(setTimeout(close, timeout * 1000));
  const dropAfter = faults.watchDropAfterMs(req.pathname);
  if (dropAfter !== undefined) timers.push(setTimeout(close, dropAfter));
  if (query.get('allowWatchBookmarks') === 'true') {
    const bookmark = (): void => {
      if (closed) return;
      const object = {
        kind: info.kind,
        apiVersion: apiVersionOf(info),
        metadata: { resourceVersion: store.resourceVersion() },
      };
      res.write(`${JSON.stringify({ type: 'BOOKMARK', object })}\n`);
    };
    timers.push(setInterval(bookmark, ctx.bookmarkIntervalMs));
    // As the real watch cache: a bookmark 2 s before the watch's own timeout, so a client that
    // reconnects then resumes from a fresh resourceVersion.
    if (timeout > 2) timers.push(setTimeout(bookmark, (timeout - 2) * 1000));
  }
}
