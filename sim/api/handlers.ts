// REST verbs on resources: get, list, watch, create, update, patch, delete, deletecollection, and
// the status/scale/eviction subresources. Everything below the HTTP surface is the store's job.
import type { ServerResponse } from 'node:http';
import type { KObject } from '../contract.js';
import { handleApply } from './apply-handler.js';
import type { ApiRequest, ServerContext } from './context.js';
import { badRequest, methodNotAllowed, notFound, notFoundPath } from './errors.js';
import type { Verb } from './faults.js';
import { dryRunOf, parseRequestBody, sendJson } from './http-util.js';
import { serveMetrics } from './metrics.js';
import { APPLY_PATCH, applyPatch } from './patch.js';
import { fieldValidationWarnings, warningHeaders } from './field-validation.js';
import { deleteOptions, paginate } from './request-options.js';
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
  // eviction takes only POST; status and scale take get/update/patch.
  if (p.subresource && (p.subresource === 'eviction') !== (verb === 'create')) throw methodNotAllowed();
  if (p.subresource && verb === 'delete') throw methodNotAllowed();
  if (info.namespaced && p.name && p.namespace === undefined) throw notFoundPath();
  ctx.requests.record(verb, info.id);
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
    const { dryRun, ...opts } = deleteOptions(req);
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
    const warnings = fieldValidationWarnings(req, info, body);
    return sendJson(res, 201, store.create(info.id, body, { dryRun }), warningHeaders(warnings));
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
    return handleApply(ctx, req, res, { info, p, current, dryRun });
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
    const opts = deleteOptions(req);
    const result = store.delete(info.id, p.namespace, name, opts);
    const gone = !store.get(info.id, p.namespace, name) || opts.dryRun;
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
  const warnings = fieldValidationWarnings(req, info, next);
  const updated = store.update(info.id, next, { dryRun, ...(subresource ? { subresource } : {}) });
  return sendJson(res, 200, updated, warningHeaders(warnings));
}

function subresourceExists(info: ResourceInfo, sub: string): boolean {
  if (sub === 'status') return info.status;
  if (sub === 'scale') return !!info.scale;
  return !!info.extraSubresources?.some((s) => s.name === sub);
}
