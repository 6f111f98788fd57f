// REST verbs on resources: get, list, watch, create, update, patch, delete, deletecollection, and
// the status/scale/eviction subresources. Everything below the HTTP surface is the store's job.
import type { ServerResponse } from 'node:http';
import type { DeleteOptions, KObject } from '../contract.js';
import { parseApplyBody, serverSideApply } from './apply.js';
import type { ApiRequest, ServerContext } from './context.js';
import { ApiError, badRequest, methodNotAllowed, notFound, notFoundPath } from './errors.js';
import type { Verb } from './faults.js';
import { dryRunOf, parseRequestBody, sendJson } from './http-util.js';
import { serveMetrics } from './metrics.js';
import { APPLY_PATCH, applyPatch } from './patch.js';
import { apiVersionOf, type ResourceInfo } from './resources.js';
import type { ResourcePath } from './router.js';
import { checkEvictionBody, evict, toScale, writeScale } from './subresources.js';
import { toTable, wantsTable } from './table.js';
import { serveWatch } from './watch.js';

function verbOf(method: string, p: ResourcePath, watch: boolean): Verb {
  switch (method) {
    case 'GET':
      return p.name ? 'get' : watch ? 'watch' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return p.name ? 'delete' : 'deletecollection';
    default:
      throw methodNotAllowed();
  }
}

export async function handleResource(
  ctx: ServerContext,
  req: ApiRequest,
  res: ServerResponse,
  p: ResourcePath,
): Promise<void> {
  const info = ctx.store.registry.find(p.group, p.version, p.plural);
  if (!info || (p.namespace !== undefined && !info.namespaced)) throw notFoundPath();
  if (p.subresource && !subresourceExists(info, p.subresource)) throw notFoundPath();
  const watch = p.watchPrefix || req.query.get('watch') === 'true' || req.query.get('watch') === '1';
  const verb = verbOf(req.method, p, watch);
  if (!info.verbs.includes(verb)) throw methodNotAllowed();
  if (info.namespaced && p.name && p.namespace === undefined) throw notFoundPath();
  await ctx.faults.before(verb, req.pathname);
  if (info.virtual) return sendJson(res, 200, serveMetrics(ctx, info.plural, p.namespace, p.name, req.query));
  const table = wantsTable(req.accept);
  const includeObject = req.query.get('includeObject');
  const { store } = ctx;
  const nowMs = store.now();

  if (verb === 'watch')
    return serveWatch(
      ctx,
      {
        info,
        ...(p.namespace ? { namespace: p.namespace } : {}),
        query: req.query,
        pathname: req.pathname,
        table,
      },
      res,
    );
  if (verb === 'list') {
    const all = store.list(info.id, {
      ...(p.namespace ? { namespace: p.namespace } : {}),
      labelSelector: req.query.get('labelSelector') ?? '',
      fieldSelector: req.query.get('fieldSelector') ?? '',
    });
    const { items, continueToken, remaining } = paginate(all, req.query);
    const resourceVersion = store.resourceVersion();
    if (table)
      return sendJson(
        res,
        200,
        toTable(info, items, {
          nowMs,
          includeObject,
          resourceVersion,
          ...(continueToken ? { continueToken } : {}),
        }),
      );
    const metadata = {
      resourceVersion,
      ...(continueToken ? { continue: continueToken, remainingItemCount: remaining } : {}),
    };
    return sendJson(res, 200, { kind: `${info.kind}List`, apiVersion: apiVersionOf(info), metadata, items });
  }
  if (verb === 'deletecollection') {
    const dryRun = dryRunOf(req.query);
    const opts = deleteOptions(req);
    const victims = store.list(info.id, {
      ...(p.namespace ? { namespace: p.namespace } : {}),
      labelSelector: req.query.get('labelSelector') ?? '',
      fieldSelector: req.query.get('fieldSelector') ?? '',
    });
    const items = victims.map((o) =>
      store.delete(info.id, o.metadata.namespace, o.metadata.name!, { ...opts, dryRun }),
    );
    return sendJson(res, 200, {
      kind: `${info.kind}List`,
      apiVersion: apiVersionOf(info),
      metadata: { resourceVersion: store.resourceVersion() },
      items,
    });
  }
  if (verb === 'create' && !p.subresource) {
    if (p.name) throw methodNotAllowed();
    const dryRun = dryRunOf(req.query);
    const body = parseRequestBody(req) as KObject;
    body.metadata ??= {};
    if (info.namespaced) {
      if (body.metadata.namespace && body.metadata.namespace !== p.namespace) {
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      if (p.namespace === undefined) throw notFoundPath();
      body.metadata.namespace = p.namespace;
    }
    return sendJson(res, 201, store.create(info.id, body, { dryRun }));
  }

  const name = p.name!;
  const current = store.get(info.id, p.namespace, name);
  const dryRun = dryRunOf(req.query);
  if (verb === 'create') {
    // The only POST on a named object is pods/<name>/eviction.
    if (!current) throw notFound(info, name);
    const body = parseRequestBody(req);
    checkEvictionBody(body, current);
    evict(ctx, info, current, body, dryRun);
    return sendJson(res, 201, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      code: 201,
    });
  }
  if (verb === 'patch' && req.contentType.startsWith(APPLY_PATCH))
    return apply(ctx, req, res, { info, p, current, dryRun });
  if (!current) throw notFound(info, name);
  if (verb === 'get') {
    if (p.subresource === 'scale') return sendJson(res, 200, toScale(info, current));
    return sendJson(
      res,
      200,
      table
        ? toTable(info, [current], { nowMs, includeObject, resourceVersion: store.resourceVersion() })
        : current,
    );
  }
  if (verb === 'delete') {
    const result = store.delete(info.id, p.namespace, name, { ...deleteOptions(req), dryRun });
    const gone = !store.get(info.id, p.namespace, name) || dryRun;
    return sendJson(res, gone || !result.metadata.deletionTimestamp ? 200 : 202, result);
  }
  if (p.subresource === 'scale')
    return sendJson(
      res,
      200,
      writeScale(ctx, info, current, {
        method: req.method,
        contentType: req.contentType,
        body: req.body,
        dryRun,
      }),
    );
  const subresource = p.subresource === 'status' ? ('status' as const) : undefined;
  let next: KObject;
  if (verb === 'update') {
    next = parseRequestBody(req) as KObject;
    if (next.metadata?.name && next.metadata.name !== name) {
      throw badRequest(
        `the name of the object (${next.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    next.metadata = { ...next.metadata, name, ...(p.namespace ? { namespace: p.namespace } : {}) };
  } else {
    next = applyPatch(info, current, req.contentType, req.body);
    next.metadata = { ...next.metadata, name, ...(p.namespace ? { namespace: p.namespace } : {}) };
  }
  return sendJson(res, 200, store.update(info.id, next, { dryRun, ...(subresource ? { subresource } : {}) }));
}

function subresourceExists(info: ResourceInfo, sub: string): boolean {
  if (sub === 'status') return info.status;
  if (sub === 'scale') return !!info.scale;
  return !!info.extraSubresources?.some((s) => s.name === sub);
}

async function apply(
  ctx: ServerContext,
  req: ApiRequest,
  res: ServerResponse,
  a: { info: ResourceInfo; p: ResourcePath; current: KObject | undefined; dryRun: boolean },
): Promise<void> {
  const manager = req.query.get('fieldManager');
  if (!manager)
    throw badRequest('PATCH, application/apply-patch+yaml: fieldManager is required for apply requests');
  const applied = parseApplyBody(req.body);
  if (applied.metadata?.name && applied.metadata.name !== a.p.name)
    throw badRequest('the name of the object does not match the name on the URL');
  applied.metadata = {
    ...applied.metadata,
    name: a.p.name,
    ...(a.p.namespace ? { namespace: a.p.namespace } : {}),
  };
  const sub = a.p.subresource === 'status' ? 'status' : undefined;
  const next = serverSideApply(a.info, a.current, applied, manager, ctx.store.now(), sub);
  if (!a.current) {
    if (sub) throw notFound(a.info, a.p.name!);
    return sendJson(res, 201, ctx.store.create(a.info.id, next, { dryRun: a.dryRun }));
  }
  return sendJson(
    res,
    200,
    ctx.store.update(a.info.id, next, { dryRun: a.dryRun, ...(sub ? { subresource: sub } : {}) }),
  );
}

function deleteOptions(req: ApiRequest): DeleteOptions {
  const body = req.raw.length ? parseRequestBody(req) : {};
  const q = req.query;
  const opts: DeleteOptions = {};
  const grace = body.gracePeriodSeconds ?? q.get('gracePeriodSeconds');
  if (grace !== undefined && grace !== null) opts.gracePeriodSeconds = Number(grace);
  const policy = (body.propagationPolicy ?? q.get('propagationPolicy') ?? undefined) as
    DeleteOptions['propagationPolicy'] | undefined;
  if (policy && !['Orphan', 'Background', 'Foreground'].includes(policy))
    throw new ApiError(422, 'Invalid', `propagationPolicy: Unsupported value: "${policy}"`);
  if (policy) opts.propagationPolicy = policy;
  else if (body.orphanDependents === true || q.get('orphanDependents') === 'true')
    opts.propagationPolicy = 'Orphan';
  if (body.preconditions) opts.preconditions = body.preconditions as DeleteOptions['preconditions'];
  return opts;
}

/** limit/continue over the sorted list; the token is the offset, base64url-encoded. */
function paginate(
  all: KObject[],
  q: URLSearchParams,
): { items: KObject[]; continueToken?: string; remaining: number } {
  const limit = Number(q.get('limit') ?? 0);
  let start = 0;
  const token = q.get('continue');
  if (token) {
    try {
      start = (JSON.parse(Buffer.from(token, 'base64url').toString()) as { offset: number }).offset;
    } catch {
      throw badRequest('continue key is not valid');
    }
  }
  if (!(limit > 0)) return { items: all.slice(start), remaining: 0 };
  const items = all.slice(start, start + limit);
  const next = start + limit;
  if (next >= all.length) return { items, remaining: 0 };
  return {
    items,
    continueToken: Buffer.from(JSON.stringify({ offset: next })).toString('base64url'),
    remaining: all.length - next,
  };
}
