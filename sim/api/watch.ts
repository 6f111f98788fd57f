// Watch streams: newline-delimited `{type, object}` JSON over a chunked response, resumable from
// a resourceVersion, with BOOKMARKs, timeoutSeconds, 410 Gone as an ERROR event, and
// selector transitions reported as ADDED/DELETED the way the watch cache does, and the streaming
// list (`sendInitialEvents=true`): the current objects as ADDED, then a BOOKMARK annotated
// `k8s.io/initial-events-end` at the resourceVersion they were read at.
import type { ServerResponse } from 'node:http';
import type { KObject, StoreEvent } from '../contract.js';
import type { ServerContext } from './context.js';
import { ApiError, gone } from './errors.js';
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
  const initialEvents = query.get('sendInitialEvents') === 'true';
  if (initialEvents) checkStreamingList(query);
  const initialRv = store.resourceVersion();
  let backlog: StoreEvent[];
  if (!rvParam || rvParam === '0' || initialEvents) {
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
  ctx.watches.set(res, {
    path: req.pathname,
    close: () => close(),
    reset: () => {
      close();
      res.destroy();
    },
  });
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
  if (initialEvents && !closed)
    res.write(`${JSON.stringify({ type: 'BOOKMARK', object: bookmarkOf(info, initialRv, true) })}\n`);

  const timeout = Number(query.get('timeoutSeconds') ?? 0);
  if (timeout > 0) timers.push(setTimeout(close, timeout * 1000));
  const dropAfter = faults.watchDropAfterMs(req.pathname);
  if (dropAfter !== undefined) timers.push(setTimeout(close, dropAfter));
  if (query.get('allowWatchBookmarks') === 'true') {
    const bookmark = (): void => {
      if (closed) return;
      res.write(
        `${JSON.stringify({ type: 'BOOKMARK', object: bookmarkOf(info, store.resourceVersion()) })}\n`,
      );
    };
    timers.push(setInterval(bookmark, ctx.bookmarkIntervalMs));
    // As the real watch cache: a bookmark 2 s before the watch's own timeout, so a client that
    // reconnects then resumes from a fresh resourceVersion.
    if (timeout > 2) timers.push(setTimeout(bookmark, (timeout - 2) * 1000));
  }
}

function bookmarkOf(info: ResourceInfo, resourceVersion: string, initialEventsEnd = false): KObject {
  return {
    kind: info.kind,
    apiVersion: apiVersionOf(info),
    metadata: {
      resourceVersion,
      ...(initialEventsEnd ? { annotations: { 'k8s.io/initial-events-end': 'true' } } : {}),
    },
  };
}

/** What kube-apiserver's ValidateListOptions demands of a streaming list, with its wording. */
function checkStreamingList(query: URLSearchParams): void {
  const causes: string[] = [];
  if (query.get('resourceVersionMatch') !== 'NotOlderThan')
    causes.push(
      'resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan',
    );
  if (query.get('allowWatchBookmarks') !== 'true')
    causes.push(
      'allowWatchBookmarks: Forbidden: sendInitialEvents requires setting allowWatchBookmarks to true',
    );
  if (causes.length === 0) return;
  const message = `ListOptions.meta.k8s.io "" is invalid: ${causes.length > 1 ? `[${causes.join(', ')}]` : causes[0]}`;
  throw new ApiError(422, 'Invalid', message, { kind: 'ListOptions', group: 'meta.k8s.io', name: '' });
}
