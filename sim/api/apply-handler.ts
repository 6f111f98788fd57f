// PATCH with application/apply-patch+yaml: create when absent, else merge (see apply.ts).
import type { ServerResponse } from 'node:http';
import type { KObject } from '../contract.js';
import { parseApplyBody, serverSideApply } from './apply.js';
import type { ApiRequest, ServerContext } from './context.js';
import { badRequest, invalid, notFound } from './errors.js';
import { fieldValidationWarnings, warningHeaders } from './field-validation.js';
import { sendJson } from './http-util.js';
import type { ResourceInfo } from './resources.js';
import type { ResourcePath } from './router.js';

export async function handleApply(
  ctx: ServerContext,
  req: ApiRequest,
  res: ServerResponse,
  a: { info: ResourceInfo; p: ResourcePath; current: KObject | undefined; dryRun: boolean },
): Promise<void> {
  const manager = req.query.get('fieldManager');
  if (!manager)
    // As a real server words it: the PatchOptions are invalid.
    throw invalid({ kind: 'PatchOptions', group: 'meta.k8s.io', plural: 'patchoptions' }, '', [
      {
        reason: 'FieldValueRequired',
        message: 'Required value: is required for apply patch',
        field: 'fieldManager',
      },
    ]);
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
  const headers = warningHeaders(fieldValidationWarnings(req, a.info, applied));
  if (!a.current) {
    if (sub) throw notFound(a.info, a.p.name!);
    return sendJson(res, 201, ctx.store.create(a.info.id, next, { dryRun: a.dryRun }), headers);
  }
  return sendJson(
    res,
    200,
    ctx.store.update(a.info.id, next, { dryRun: a.dryRun, ...(sub ? { subresource: sub } : {}) }),
    headers,
  );
}
