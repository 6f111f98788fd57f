// Request/response plumbing shared by the handlers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import type { ApiRequest } from './context.js';
import { ApiError, toApiError } from './errors.js';
import { decodeKubernetesProtobuf } from './protobuf.js';

export async function readBody(req: IncomingMessage, limit = 8 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new ApiError(413, 'RequestEntityTooLarge', 'the request body is too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function sendJson(
  res: ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string | string[]> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, err: unknown): void {
  const e = toApiError(err);
  const headers: Record<string, string> = {};
  if (e.details?.retryAfterSeconds !== undefined)
    headers['Retry-After'] = String(e.details.retryAfterSeconds);
  sendJson(res, e.code, e.toStatus(), headers);
}

export function parseJsonBody(body: string): Record<string, unknown> {
  if (!body.trim()) throw new ApiError(400, 'BadRequest', 'the request body is empty');
  try {
    const v = JSON.parse(body) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new ApiError(400, 'BadRequest', `error decoding request body: ${(e as Error).message}`);
  }
}

/** A create/update/delete body in any encoding a Kubernetes client sends: JSON, YAML or protobuf. */
export function parseRequestBody(req: ApiRequest): Record<string, unknown> {
  const type = req.contentType.split(';')[0]!.trim();
  if (type === 'application/vnd.kubernetes.protobuf') return decodeKubernetesProtobuf(req.raw);
  if (type === 'application/yaml') {
    const v = parseYaml(req.body) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw new ApiError(400, 'BadRequest', 'the YAML body is not an object');
    return v as Record<string, unknown>;
  }
  if (type && type !== 'application/json' && type !== '*/*') {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`,
    );
  }
  return parseJsonBody(req.body);
}

/** `dryRun=All` is the only value the real server accepts. */
export function dryRunOf(query: URLSearchParams): boolean {
  const values = query.getAll('dryRun');
  if (values.some((v) => v !== 'All'))
    throw new ApiError(400, 'BadRequest', `Invalid dry run value: ${values.join(',')}`);
  return values.length > 0;
}
