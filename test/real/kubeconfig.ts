// The admin kubeconfig of the real cluster the real tier runs against: provided by the tier's
// global setup (vitest `inject('realKubeconfig')`), else KUBESKIPPY_REAL_KUBECONFIG for running a
// file by hand against a `kubeskippy cluster --kubeconfig-out K`. '' when there is none.
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    realKubeconfig: string;
  }
}

export function realKubeconfig(): string {
  let provided: string | undefined;
  try {
    provided = inject('realKubeconfig');
  } catch {
    provided = undefined;
  }
  return provided || process.env['KUBESKIPPY_REAL_KUBECONFIG'] || '';
}
