// The admin kubeconfig of the real cluster this tier runs against, from the tier's global setup
// (test/support/real-cluster-setup.ts): the cluster it started, or the one named by
// KUBESKIPPY_REAL_KUBECONFIG when a running `kubeskippy cluster` is reused.
import { inject } from 'vitest';

export function realKubeconfig(): string {
  return inject('realKubeconfig');
}
