// What the controller says when the cluster has no HealingPolicy / HealingAction CRDs: the list and
// watch of the custom resources answer 404, which on its own reads like a network problem.
export const INSTALL_COMMAND = 'kubeskippy crds | kubectl apply -f -';

/** A 404 from a list (ApiException.code) or a watch (Error.statusCode). */
export function isNotFound(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: unknown; statusCode?: unknown };
  return e.code === 404 || e.statusCode === 404;
}

/** "the HealingPolicy CRD is not installed in this cluster: install it with `…`" (kinds in order). */
export function missingCrdMessage(kinds: readonly string[]): string {
  const one = kinds.length === 1;
  return (
    `the ${kinds.join(' and ')} CRD${one ? ' is' : 's are'} not installed in this cluster: ` +
    `install ${one ? 'it' : 'them'} with \`${INSTALL_COMMAND}\``
  );
}

/** The next retry delay while a CRD is missing: doubles from `base` up to `max`. */
export function nextRetryDelay(current: number | undefined, base: number, max: number): number {
  return current === undefined ? base : Math.min(current * 2, max);
}
