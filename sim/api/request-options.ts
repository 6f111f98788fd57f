// Query and body options of list and delete requests.
import type { DeleteOptions, KObject } from '../contract.js';
import type { ApiRequest } from './context.js';
import { ApiError, badRequest } from './errors.js';
import { dryRunOf, parseRequestBody } from './http-util.js';

/**
 * DeleteOptions from the body (JSON or protobuf) or, when there is no body, the query (as kubectl
 * also sends them). As on a real API server, a body wins whole: its absent fields are not taken
 * from the query, so `?dryRun=All` beside a DeleteOptions body without `dryRun` really deletes.
 */
export function deleteOptions(req: ApiRequest): DeleteOptions & { dryRun: boolean } {
  const fromBody = req.raw.length > 0;
  const body = fromBody ? parseRequestBody(req) : {};
  const q = req.query;
  const get = (key: string): unknown => (fromBody ? body[key] : (q.get(key) ?? undefined));
  const dryRun = fromBody
    ? Array.isArray(body.dryRun) && (body.dryRun as string[]).includes('All')
    : dryRunOf(q);
  const opts: DeleteOptions & { dryRun: boolean } = { dryRun };
  const grace = get('gracePeriodSeconds');
  if (grace !== undefined && grace !== null) opts.gracePeriodSeconds = Number(grace);
  const policy = (get('propagationPolicy') ?? undefined) as DeleteOptions['propagationPolicy'] | undefined;
  if (policy && !['Orphan', 'Background', 'Foreground'].includes(policy))
    throw new ApiError(422, 'Invalid', `propagationPolicy: Unsupported value: "${policy}"`);
  if (policy) opts.propagationPolicy = policy;
  else if (get('orphanDependents') === true || get('orphanDependents') === 'true')
    opts.propagationPolicy = 'Orphan';
  if (body.preconditions) opts.preconditions = body.preconditions as DeleteOptions['preconditions'];
  return opts;
}

/** limit/continue over the sorted list; the token is the offset, base64url-encoded. */
export function paginate(
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
