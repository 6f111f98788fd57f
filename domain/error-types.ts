// Failure types shared by activities (which throw them) and workflows (whose retry policies and
// outcome handling key on them). Plain strings, so both sides can import this file.
export const KubeErrorType = {
  NotFound: 'KubeNotFound',
  Forbidden: 'KubeForbidden',
  Invalid: 'KubeInvalid',
  BadRequest: 'KubeBadRequest',
  /** A uid/resourceVersion precondition failed: the object was replaced; acting would hit the wrong one. */
  PreconditionFailed: 'KubePreconditionFailed',
  Conflict: 'KubeConflict',
  /** Eviction refused by a PodDisruptionBudget (429): retried until the budget allows one. */
  DisruptionBudget: 'KubeDisruptionBudget',
  TooManyRequests: 'KubeTooManyRequests',
  ServerError: 'KubeServerError',
  Network: 'KubeNetwork',
} as const;
export type KubeErrorType = (typeof KubeErrorType)[keyof typeof KubeErrorType];

/** Kubernetes errors a retry cannot fix (400, 403, 404, 422, failed preconditions). */
export const NON_RETRYABLE_KUBE_ERRORS: string[] = [
  KubeErrorType.NotFound,
  KubeErrorType.Forbidden,
  KubeErrorType.Invalid,
  KubeErrorType.BadRequest,
  KubeErrorType.PreconditionFailed,
];

/** Executor refusals decided on the live object; retrying cannot change them. */
export const NON_RETRYABLE_EXECUTOR_ERRORS: string[] = [
  'UnsupportedKind',
  'ManagedByHPA',
  'NoScaleChange',
  'PatchPathNotAllowed',
  /** A webhook URL outside the operator's allow-list, a body that is not JSON, or a 4xx answer. */
  'WebhookNotAllowed',
  'WebhookBadBody',
  'WebhookRejected',
  /** A Job of the action's name exists and is not owned by this HealingAction. */
  'JobNameTaken',
];

/** Notification failures a retry cannot fix (activities/notify.ts throws them). */
export const NotifyError = {
  BadSecret: 'NotificationSecretInvalid',
  NotAllowed: 'NotificationNotAllowed',
  Rejected: 'NotificationRejected',
} as const;
export const NON_RETRYABLE_NOTIFY_ERRORS: string[] = [
  ...Object.values(NotifyError),
  ...NON_RETRYABLE_KUBE_ERRORS,
];

/** An activity failure's own message (its cause), not Temporal's "Activity task failed". */
export function failureMessage(err: unknown): string {
  return (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
}
