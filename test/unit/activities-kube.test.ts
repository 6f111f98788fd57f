// Quantities and the one place Kubernetes errors are classified: what a user sees is
// whether an action retries or gives up, and under which failure type.
import { ApiException } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { classify, ErrorType, kubeCall, toFailure } from '../../activities/kube/errors.js';
import { bytes, millicores, parseQuantity } from '../../activities/kube/quantity.js';

describe('bytes', () => {
  it.each<[string | undefined, number | undefined]>([
    ['128Mi', 128 * 2 ** 20],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['1Ki', 1024],
    ['2Ti', 2 * 2 ** 40],
    ['1k', 1000],
    ['1M', 1e6],
    ['1G', 1e9],
    ['129e6', 129e6],
    ['1E', 1e18],
    // memory may be written in milli-bytes; the API server accepts it.
    ['128974848000m', 128974848],
    ['42', 42],
    [' 64Mi ', 64 * 2 ** 20],
    [undefined, undefined],
    ['', undefined],
    ['Mi', undefined],
    ['12MB', undefined],
    ['1ki', undefined],
    ['1.2.3Mi', undefined],
    ['.', undefined],
    ['ten', undefined],
    ['2e', undefined],
  ])('%j → %j', (q, want) => {
    expect(bytes(q)).toBe(want);
  });
});

describe('millicores', () => {
  it.each<[string | undefined, number | undefined]>([
    ['250m', 250],
    ['1', 1000],
    ['1.5', 1500],
    ['0.1', 100],
    // metrics-server reports nanocores and microcores.
    ['123456789n', 123.457],
    ['500000000n', 500],
    ['250000u', 250],
    ['1500u', 1.5],
    ['100n', 0],
    ['2k', 2_000_000],
    [undefined, undefined],
    ['', undefined],
    ['250 m', undefined],
    ['m', undefined],
    ['1x', undefined],
  ])('%j → %j', (q, want) => {
    expect(millicores(q)).toBe(want);
  });

  it('parses nothing that is not a whole quantity', () => {
    expect(parseQuantity('1Gi\n2Gi')).toBeUndefined();
    expect(parseQuantity('--1')).toBeUndefined();
  });
});

/** An error as client-node 2.x throws it: ApiException with the Status JSON as its body. */
const apiError = (code: number, message: string, reason = 'X'): ApiException<string> =>
  new ApiException(code, message, JSON.stringify({ kind: 'Status', code, reason, message }), {});

describe('classify', () => {
  it.each<[string, unknown, string, boolean]>([
    [
      '400 bad request',
      apiError(400, 'field label not supported: spec.x', 'BadRequest'),
      ErrorType.BadRequest,
      false,
    ],
    [
      '403 forbidden',
      apiError(403, 'pods "a" is forbidden: User cannot delete', 'Forbidden'),
      ErrorType.Forbidden,
      false,
    ],
    ['404 not found', apiError(404, 'pods "a" not found', 'NotFound'), ErrorType.NotFound, false],
    [
      '409 write conflict',
      apiError(
        409,
        'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
        'Conflict',
      ),
      ErrorType.Conflict,
      true,
    ],
    [
      '409 uid precondition',
      apiError(
        409,
        'Operation cannot be fulfilled on pods "a": Precondition failed: UID in precondition: 1, UID in object meta: 2',
        'Conflict',
      ),
      ErrorType.PreconditionFailed,
      false,
    ],
    [
      '422 invalid',
      apiError(422, 'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1', 'Invalid'),
      ErrorType.Invalid,
      false,
    ],
    [
      '429 disruption budget',
      apiError(429, "Cannot evict pod as it would violate the pod's disruption budget.", 'TooManyRequests'),
      ErrorType.DisruptionBudget,
      true,
    ],
    [
      '429 throttled',
      apiError(429, 'Too many requests, please try again later.', 'TooManyRequests'),
      ErrorType.TooManyRequests,
      true,
    ],
    [
      '500',
      apiError(500, 'Internal error occurred: etcdserver: leader changed', 'InternalError'),
      ErrorType.ServerError,
      true,
    ],
    [
      '503',
      apiError(503, 'the server is currently unable to handle the request', 'ServiceUnavailable'),
      ErrorType.ServerError,
      true,
    ],
    [
      '504',
      apiError(504, 'Timeout: request did not complete within 60s', 'Timeout'),
      ErrorType.ServerError,
      true,
    ],
    [
      'connection refused',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { errno: -111 }),
      ErrorType.Network,
      true,
    ],
    ['fetch failed', new TypeError('fetch failed'), ErrorType.Network, true],
    [
      'socket errno code is not an HTTP status',
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      ErrorType.Network,
      true,
    ],
  ])('%s', (_name, err, type, retryable) => {
    expect(classify(err)).toMatchObject({ type, retryable });
  });

  it('reports the Status message, not the client dump of headers', () => {
    const { message } = classify(apiError(404, 'pods "a" not found'));
    expect(message).toBe('pods "a" not found');
  });

  it('reads a Status body that arrives already parsed', () => {
    const err = new ApiException(409, 'x', { message: 'Precondition failed: UID in precondition: 1' }, {});
    expect(classify(err).type).toBe(ErrorType.PreconditionFailed);
  });
});

describe('toFailure and kubeCall', () => {
  it('turn a 404 into a non-retryable ApplicationFailure with the HTTP status in details', async () => {
    const failure = await kubeCall('read pod a', () =>
      Promise.reject(apiError(404, 'pods "a" not found')),
    ).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({
      type: ErrorType.NotFound,
      nonRetryable: true,
      message: 'read pod a: pods "a" not found',
      details: [{ httpStatus: 404 }],
    });
  });

  it('keep a 503 retryable and pass an ApplicationFailure through untouched', () => {
    expect(toFailure(apiError(503, 'unavailable'), 'list pods')).toMatchObject({
      type: ErrorType.ServerError,
      nonRetryable: false,
    });
    const own = ApplicationFailure.nonRetryable('no', 'PatchPathNotAllowed');
    expect(toFailure(own, 'patch')).toBe(own);
  });
});

describe('classify of an already classified failure', () => {
  it('keeps its type and retryability instead of calling it a network error', async () => {
    const notFound = await kubeCall('patch x', () => Promise.reject(apiError(404, 'x not found'))).catch(
      (e: unknown) => e,
    );
    expect(classify(notFound)).toMatchObject({ type: ErrorType.NotFound, retryable: false });
    const conflict = toFailure(apiError(409, 'the object has been modified'), 'patch x');
    expect(classify(conflict)).toMatchObject({ type: ErrorType.Conflict, retryable: true });
    expect(classify(ApplicationFailure.nonRetryable('no', 'PatchPathNotAllowed')).type).toBe(
      ErrorType.Network,
    );
  });
});
