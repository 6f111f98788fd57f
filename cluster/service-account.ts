// A kubeconfig that acts as a ServiceAccount, with a token from the TokenRequest API (what the
// kubelet mounts into a pod), so a process on the host runs with exactly the RBAC a pod of that
// account would have: the operator's least-privilege ClusterRole is then really enforced.
import { writeFile } from 'node:fs/promises';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { kubeconfigYaml } from './kubeconfig.js';

export interface ServiceAccountKubeconfig {
  adminKubeconfig: string;
  namespace: string;
  name: string;
  /** Where to write it. */
  out: string;
  /** Token lifetime; the API server caps it (default 24 h, enough for a demo or a test run). */
  expirationSeconds?: number;
}

export async function writeServiceAccountKubeconfig(opts: ServiceAccountKubeconfig): Promise<string> {
  const kc = new KubeConfig();
  kc.loadFromFile(opts.adminKubeconfig);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error(`${opts.adminKubeconfig} has no current cluster`);
  const core = kc.makeApiClient(CoreV1Api);
  const answer = await core.createNamespacedServiceAccountToken({
    name: opts.name,
    namespace: opts.namespace,
    body: { spec: { audiences: [], expirationSeconds: opts.expirationSeconds ?? 86_400 } },
  });
  const token = answer.status?.token;
  if (!token) throw new Error(`TokenRequest for ${opts.namespace}/${opts.name} returned no token`);
  const caData = cluster.caData;
  if (!caData) throw new Error(`${opts.adminKubeconfig} has no certificate-authority-data`);
  const yaml = await kubeconfigYaml({
    server: cluster.server,
    caData,
    user: { name: `system:serviceaccount:${opts.namespace}:${opts.name}`, token },
    namespace: opts.namespace,
  });
  await writeFile(opts.out, yaml, { mode: 0o600 });
  return opts.out;
}
