// A kubeconfig for the simulated cluster. client-node refuses plain http unless the cluster entry
// skips TLS verification, so the entry says so although there is no TLS at all.
import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';

export const SIM_CONTEXT = 'kubeskippy-sim';

export function kubeconfigYaml(server: string, token = 'kubeskippy-sim-token'): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: SIM_CONTEXT, cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: SIM_CONTEXT, user: { token } }],
    contexts: [
      { name: SIM_CONTEXT, context: { cluster: SIM_CONTEXT, user: SIM_CONTEXT, namespace: 'default' } },
    ],
    'current-context': SIM_CONTEXT,
    preferences: {},
  });
}

export async function writeKubeconfig(path: string, server: string): Promise<void> {
  await writeFile(path, kubeconfigYaml(server), { mode: 0o600 });
}
