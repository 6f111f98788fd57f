// The least-privilege chaos test (test/real/least-privilege.test.ts) reads `kubectl auth can-i
// --list` and compares it with an allow-list. Here, without a cluster: the table is read the way
// kubectl prints it, a narrowed or wildcard row is never mistaken for an allowed one, and the
// allow-list covers exactly the ClusterRole and the leader-election Role in deploy/operator/rbac.yaml
// plus the built-in grants.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { OPERATOR_ALLOWED, OPERATOR_FORBIDDEN, parseCanIList } from '../support/chaos-trust.js';

const TABLE = `Resources                                       Non-Resource URLs   Resource Names   Verbs
selfsubjectreviews.authentication.k8s.io        []                  []               [create]
pods                                            []                  []               [get list watch patch delete]
healingactions.kubeskippy.io/status             []                  []               [patch]
configmaps                                      []                  [leader]         [get]
*.*                                             []                  []               [*]
                                                [/api/*]            []               [get]
                                                [/healthz /livez]   []               [get]
`;

describe('parseCanIList', () => {
  it('reads one permission per resource (or URL) and verb; names and wildcards stay visible', () => {
    expect(parseCanIList(TABLE)).toEqual(
      [
        'selfsubjectreviews.authentication.k8s.io create',
        ...['get', 'list', 'watch', 'patch', 'delete'].map((v) => `pods ${v}`),
        'healingactions.kubeskippy.io/status patch',
        'configmaps[leader] get',
        '*.* *',
        'url:/api/* get',
        'url:/healthz get',
        'url:/livez get',
      ].sort(),
    );
  });

  it('refuses what is not the table, rather than reading nothing', () => {
    expect(() => parseCanIList('error: You must be logged in to the server')).toThrow(/not a can-i/);
  });
});

describe('OPERATOR_ALLOWED', () => {
  const rbac = readFileSync(join(import.meta.dirname, '..', '..', 'deploy', 'operator', 'rbac.yaml'), 'utf8');
  const roles = parseAllDocuments(rbac)
    .map(
      (d) =>
        d.toJS() as { kind: string; rules?: { apiGroups: string[]; resources: string[]; verbs: string[] }[] },
    )
    .filter((d) => d.kind === 'ClusterRole' || d.kind === 'Role');
  // How kubectl names a resource: "pods", "deployments.apps", "healingactions.kubeskippy.io/status".
  const kubectlName = (group: string, resource: string): string => {
    const [plural, sub] = resource.split('/');
    return `${plural}${group ? `.${group}` : ''}${sub ? `/${sub}` : ''}`;
  };
  const granted = roles
    .flatMap((role) => role.rules!)
    .flatMap((r) =>
      r.apiGroups.flatMap((g) =>
        r.resources.flatMap((res) => r.verbs.map((v) => `${kubectlName(g, res)} ${v}`)),
      ),
    );

  it('names every grant of the ClusterRole and the Role, and nothing else of any resource it does not grant', () => {
    expect(granted.filter((p) => !OPERATOR_ALLOWED.includes(p))).toEqual([]);
    const builtIn = OPERATOR_ALLOWED.filter((p) => !granted.includes(p));
    expect(
      builtIn.every((p) => p.startsWith('url:') || /^selfsubject\w+\.\S+ create$/.test(p)),
      builtIn.join(', '),
    ).toBe(true);
  });

  it('and no forbidden check is on it', () => {
    const named = (verb: string, resource: string, sub?: string): string => {
      const [plural, ...group] = resource.split('.');
      const s = sub ? `/${sub.replace('--subresource=', '')}` : '';
      return `${plural}${group.length ? `.${group.join('.')}` : ''}${s} ${verb}`;
    };
    const clash = OPERATOR_FORBIDDEN.map(([v, r, sub]) => named(v!, r!, sub)).filter((p) =>
      OPERATOR_ALLOWED.includes(p),
    );
    expect(clash).toEqual([]);
  });
});
