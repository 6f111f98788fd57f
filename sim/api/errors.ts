// Kubernetes API errors. The store throws them; the HTTP layer renders them as a `Status` object
// exactly as kube-apiserver does, because clients (client-go, client-node, kubectl) key their
// behaviour on `code` and `reason` (retry on 409/429, relist on 410, print `message`).
import type { ApiErrorShape } from '../contract.js';

export interface StatusCause {
  reason: string; // FieldValueRequired, FieldValueInvalid, FieldValueNotSupported, ...
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export class ApiError extends Error implements ApiErrorShape {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toStatus(): Record<string, unknown> {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** Names a resource the way the real server's messages do: `pods "web-1"`, `deployments.apps "web"`. */
export interface ResourceName {
  group: string;
  plural: string;
  kind: string;
}

const qualified = (r: ResourceName): string => (r.group ? `${r.plural}.${r.group}` : r.plural);

export const notFound = (r: ResourceName, name: string): ApiError =>
  new ApiError(404, 'NotFound', `${qualified(r)} "${name}" not found`, {
    name,
    ...(r.group ? { group: r.group } : {}),
    kind: r.plural,
  });

export const alreadyExists = (r: ResourceName, name: string): ApiError =>
  new ApiError(409, 'AlreadyExists', `${qualified(r)} "${name}" already exists`, {
    name,
    ...(r.group ? { group: r.group } : {}),
    kind: r.plural,
  });

export const conflict = (r: ResourceName, name: string, why: string): ApiError =>
  new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(r)} "${name}": ${why}`, {
    name,
    ...(r.group ? { group: r.group } : {}),
    kind: r.plural,
  });

/** A delete precondition that failed; a real v1.36 server names the kind (`on Pod "x"`). */
export const preconditionFailed = (r: ResourceName, name: string, why: string): ApiError =>
  new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${r.kind} "${name}": ${why}`, {
    name,
    ...(r.group ? { group: r.group } : {}),
    kind: r.plural,
  });

export const STALE =
  'the object has been modified; please apply your changes to the latest version and try again';

export const invalid = (r: ResourceName, name: string, causes: StatusCause[]): ApiError => {
  const summary = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join(', ');
  const kind = r.group ? `${r.kind}.${r.group}` : r.kind;
  return new ApiError(422, 'Invalid', `${kind} "${name}" is invalid: ${summary}`, {
    name,
    ...(r.group ? { group: r.group } : {}),
    kind: r.kind,
    causes,
  });
};

export const badRequest = (message: string): ApiError => new ApiError(400, 'BadRequest', message);

export const gone = (message: string): ApiError => new ApiError(410, 'Expired', message);

export const methodNotAllowed = (
  message = 'the server does not allow this method on the requested resource',
): ApiError => new ApiError(405, 'MethodNotAllowed', message);

export const unsupportedMediaType = (contentType: string): ApiError =>
  new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got ${contentType})`,
  );

export const notFoundPath = (): ApiError =>
  new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});

/** Wraps anything thrown into an ApiError so the HTTP layer always answers with a Status. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as Partial<ApiErrorShape> | undefined;
  if (e && typeof e.code === 'number' && typeof e.reason === 'string') {
    return new ApiError(e.code, e.reason, e.message ?? e.reason);
  }
  return new ApiError(
    500,
    'InternalError',
    `Internal error occurred: ${(err as Error)?.message ?? String(err)}`,
  );
}
