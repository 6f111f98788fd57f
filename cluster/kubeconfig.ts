// Kubeconfig files for the real control plane: one per client identity, certificates embedded so a
// file can be copied elsewhere (like kubeadm's admin.conf). A token-based one is for the operator's
// ServiceAccount (cluster/service-account.ts).
import { readFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import type { CertFiles } from './pki.js';

export interface KubeconfigUser {
  name: string;
  /** Client certificate files, or a bearer token. */
  cert?: CertFiles;
  token?: string;
}

export async function kubeconfigYaml(opts: {
  server: string;
  /** The CA as a file, or already base64 (from another kubeconfig). */
  caFile?: string;
  caData?: string;
  user: KubeconfigUser;
  clusterName?: string;
  namespace?: string;
}): Promise<string> {
  const b64 = async (file: string): Promise<string> => (await readFile(file)).toString('base64');
  const cluster = opts.clusterName ?? 'kubeskippy-real';
  const user: Record<string, string> = {};
  if (opts.user.cert) {
    user['client-certificate-data'] = await b64(opts.user.cert.cert);
    user['client-key-data'] = await b64(opts.user.cert.key);
  }
  if (opts.user.token) user.token = opts.user.token;
  const context = `${opts.user.name}@${cluster}`;
  const ca = opts.caData ?? (opts.caFile ? await b64(opts.caFile) : undefined);
  if (!ca) throw new Error('a kubeconfig needs the cluster CA (caFile or caData)');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster, cluster: { server: opts.server, 'certificate-authority-data': ca } }],
    users: [{ name: opts.user.name, user }],
    contexts: [
      {
        name: context,
        context: { cluster, user: opts.user.name, ...(opts.namespace ? { namespace: opts.namespace } : {}) },
      },
    ],
    'current-context': context,
  });
}
