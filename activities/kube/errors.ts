// Every Kubernetes API error is classified here, once. The workflow's activity retry
// policies key on these types: errors that cannot succeed on a retry become non-retryable
// ApplicationFailures; conflicts, throttling, server errors and network trouble retry.
import { ApplicationFailure } from '@temporalio/common';
import { KubeErrorType as ErrorType, NON_RETRYABLE_KUBE_ERRORS } from '../../domain/error-types.js';

export { KubeErrorType as ErrorType, NON_RETRYABLE_KUBE_ERRORS } from '../../domain/error-types.js';

interface StatusBody {
  message?: string;
  reason?: string;
  code?: number;
}

/** The HTTP status of a client-node error, if it is one (ApiException has `code` and `body`). */
export function httpStatus(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' && code >= 100 && code < 600 ? code : undefined;
}

export function statusBody(err: unknown): StatusBody {
  const body = (err as { body?: unknown } | null)?.body;
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as StatusBody;
    } catch {
      return { message: body };
    }
  }
  return body && typeof body === 'object' ? (body as StatusBody) : {};
}

export function isNotFound(err: unknown): boolean {
  return httpStatus(err) === 404;
}

const KNOWN_TYPES: readonly string[] = Object.values(ErrorType);

export function classify(err: unknown): { type: ErrorType; retryable: boolean; message: string } {
  // Already classified (kubeCall inside a try that classifies again): keep the verdict, not "network".
  if (err instanceof ApplicationFailure && err.type && KNOWN_TYPES.includes(err.type)) {
    return { type: err.type as ErrorType, retryable: !err.nonRetryable, message: err.message };
  }
  const code = httpStatus(err);
  const body = statusBody(err);
  const message = body.message ?? (err instanceof Error ? err.message.split('\n')[0]! : String(err));
  const type = ((): ErrorType => {
    switch (code) {
      case undefined:
        return ErrorType.Network;
      case 400:
        return ErrorType.BadRequest;
      case 403:
        return ErrorType.Forbidden;
      case 404:
        return ErrorType.NotFound;
      case 409:
        return /precondition/i.test(message) ? ErrorType.PreconditionFailed : ErrorType.Conflict;
      case 422:
        return ErrorType.Invalid;
      case 429:
        return /disruption budget/i.test(message) ? ErrorType.DisruptionBudget : ErrorType.TooManyRequests;
      default:
        return code >= 500 ? ErrorType.ServerError : ErrorType.BadRequest;
    }
  })();
  return { type, retryable: !NON_RETRYABLE_KUBE_ERRORS.includes(type), message };
}

/** Wraps any error from the Kubernetes client in an ApplicationFailure the retry policy understands. */
export function toFailure(err: unknown, what: string): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const { type, retryable, message } = classify(err);
  return ApplicationFailure.create({
    message: `${what}: ${message}`,
    type,
    nonRetryable: !retryable,
    details: [{ httpStatus: httpStatus(err) ?? null }],
  });
}

/** Runs a Kubernetes call and classifies whatever it throws. */
export async function kubeCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toFailure(err, what);
  }
}
