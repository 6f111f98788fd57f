// The admin kubeconfig of the real cluster this tier runs against: the tier's globalSetup provides
// it as inject('realKubeconfig'); KUBESKIPPY_REAL_KUBECONFIG names one when running a file alone
// against a cluster already started with `kubeskippy cluster --kubeconfig-out`. '' when neither.
import { inject } from 'vitest';

export function realKubeconfig(): string {
  // Looked up by name: the key is declared by the tier's globalSetup, not here.
  const provided = (inject as (key: string) => unknown)('realKubeconfig');
  if (typeof provided === 'string' && provided) return provided;
  return process.env.KUBESKIPPY_REAL_KUBECONFIG ?? '';
}
