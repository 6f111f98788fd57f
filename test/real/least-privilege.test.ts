// Chaos 6, least privilege, on the real API server: everything the operator's ServiceAccount may
// do, as the server itself lists it (`kubectl auth can-i --list`, with the operator's own
// credentials, in its namespace, a workload namespace and kube-system), is inside an allow-list
// written down in test/support/chaos-trust.ts — so a new permission has to be added there on
// purpose — and the dangerous verbs (Secrets, nodes, namespaces, exec/attach, tokens, RBAC,
// impersonation, CRDs, webhooks, admission policies) are each answered "no". Leases (leader
// election) may be written in kubeskippy-system only.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { OPERATOR_ALLOWED, OPERATOR_FORBIDDEN, parseCanIList } from '../support/chaos-trust.js';

const run = promisify(execFile);

/** kubectl as the operator (its TokenRequest kubeconfig): stdout, also on exit 1 ("no"). */
async function asOperator(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run('kubectl', ['--kubeconfig', inject('realOperatorKubeconfig'), ...args], {
      timeout: 20_000,
    });
    return stdout.trim();
  } catch (err) {
    const e = err as { stdout?: string; message: string };
    return (e.stdout ?? '').trim() || e.message;
  }
}

/** Runs `fn` over `items`, `width` at a time (each is one kubectl process). */
async function inBatches<T, R>(items: readonly T[], width: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += width)
    out.push(...(await Promise.all(items.slice(i, i + width).map(fn))));
  return out;
}

describe('chaos: least privilege (the operator ServiceAccount on the real API server)', () => {
  it(
    'may do only what the allow-list says, and none of the dangerous things',
    { timeout: 60_000 },
    async () => {
      const started = Date.now();
      const namespaces = ['kubeskippy-system', 'default', 'kube-system'];
      const listed = await Promise.all(
        namespaces.map((ns) => asOperator('auth', 'can-i', '--list', '-n', ns)),
      );
      const permissions = [...new Set(listed.flatMap((table) => parseCanIList(table)))].sort();
      // The list really came from the server: the operator's own grants are in it.
      expect(permissions).toContain('pods/eviction create');
      expect(permissions).toContain('healingactions.kubeskippy.io/status patch');
      const allowed = new Set(OPERATOR_ALLOWED);
      const excess = permissions.filter((p) => !allowed.has(p));

      const answers = await inBatches(OPERATOR_FORBIDDEN, 8, async (check) => {
        const [verb, resource, ...flags] = check as [string, string, ...string[]];
        return {
          check: check.join(' '),
          answer: await asOperator('auth', 'can-i', verb, resource, ...flags, '-A'),
        };
      });
      const granted = answers.filter((a) => a.answer !== 'no');
      // Leases only in its own namespace: never the control plane's (kube-system) or the kubelets'.
      const leases = await Promise.all(
        ['kubeskippy-system', 'kube-system', 'kube-node-lease', 'default'].map(async (ns) => ({
          ns,
          answer: await asOperator('auth', 'can-i', 'update', 'leases.coordination.k8s.io', '-n', ns),
        })),
      );
      expect(leases).toEqual([
        { ns: 'kubeskippy-system', answer: 'yes' },
        { ns: 'kube-system', answer: 'no' },
        { ns: 'kube-node-lease', answer: 'no' },
        { ns: 'default', answer: 'no' },
      ]);

      const n = permissions.length + answers.length;
      console.log(
        `chaos: least privilege ${n} checks, ${excess.length + granted.length} excess permissions ` +
          `(${permissions.length} listed, ${answers.length} refused on purpose, ${Date.now() - started} ms)`,
      );
      expect(excess, 'permissions the allow-list does not name').toEqual([]);
      expect(granted, 'dangerous verbs answered other than "no"').toEqual([]);
    },
  );
});
