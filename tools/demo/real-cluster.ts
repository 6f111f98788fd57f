// What the operator needs on a real cluster before it can run as itself: KubeSkippy's CRDs, and its
// Namespace, ServiceAccount and least-privilege RBAC from deploy/operator — then a kubeconfig with
// a TokenRequest token of that ServiceAccount, so the operator process on this host is held to
// exactly the permissions it would have in a pod (a missing rule shows up as a 403, not hidden by
// an admin identity). The same files `kubectl apply -k deploy/` installs.
import { join } from 'node:path';
import { writeServiceAccountKubeconfig } from '../../cluster/index.js';
import { createKube, loadKubeConfig } from '../../activities/kube/clients.js';
import { applyAll, installCrds, readManifests } from './cluster.js';

export const OPERATOR_IDENTITY_FILES = [
  'deploy/operator/namespace.yaml',
  'deploy/operator/serviceaccount.yaml',
  'deploy/operator/rbac.yaml',
] as const;

export interface OperatorIdentity {
  namespace: string;
  serviceAccount: string;
  kubeconfig: string;
}

/** Installs CRDs + the operator's identity with the admin kubeconfig; writes the SA's kubeconfig into `dir`. */
export async function prepareOperatorIdentity(
  adminKubeconfig: string,
  dir: string,
): Promise<OperatorIdentity> {
  const kube = createKube(loadKubeConfig(adminKubeconfig));
  await installCrds(kube);
  const objects = (await Promise.all(OPERATOR_IDENTITY_FILES.map((f) => readManifests(f)))).flat();
  await applyAll(kube, objects);
  const sa = objects.find((o) => o.kind === 'ServiceAccount');
  const namespace = sa?.metadata?.namespace;
  const name = sa?.metadata?.name;
  if (!namespace || !name) throw new Error('deploy/operator/serviceaccount.yaml names no ServiceAccount');
  const kubeconfig = await writeServiceAccountKubeconfig({
    adminKubeconfig,
    namespace,
    name,
    out: join(dir, 'operator.kubeconfig'),
  });
  return { namespace, serviceAccount: name, kubeconfig };
}
