// The generated CRDs (deploy/crds) on a real API server, through the real kubectl: the CEL rules
// refuse bad HealingPolicies at `kubectl apply` naming the field and saying what is wrong (the same
// table of examples the zod schema is held to in test/unit/crd-rules.test.ts), what only code can
// judge is accepted and left to the controller, and the CRD behaviours users rely on: defaults,
// unknown-field warnings, `kubectl explain` and the printer columns of `kubectl get hp/ha`.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealingPolicySpec, formatErrors, parseHealingPolicySpec } from '../../crds/index.js';
import { HP_COLUMNS, badExamples, baseSpec, goodExamples } from '../fixtures/policy-examples.js';
import { realKubeconfig } from './kubeconfig.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const kubeconfig = realKubeconfig();
const root = join(import.meta.dirname, '..', '..');
const ns = `crd-validation-${randomBytes(3).toString('hex')}`;

/** kubectl with `input` on stdin; never throws on a non-zero exit (refusals are the point). */
function kubectl(args: string[], input?: unknown): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', ['--kubeconfig', kubeconfig, ...args], { stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(input === undefined ? '' : typeof input === 'string' ? input : JSON.stringify(input));
  });
}

async function ok(args: string[], input?: unknown): Promise<string> {
  const run = await kubectl(args, input);
  if (run.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${run.stderr}`);
  return run.stdout;
}

const policy = (name: string, spec: unknown): unknown => ({
  apiVersion: 'kubeskippy.io/v1alpha1',
  kind: 'HealingPolicy',
  metadata: { name, namespace: ns },
  spec,
});

/** A HealingAction of policy `columns` on pod web-1, as the operator records one. */
const healingAction = (name: string, action: unknown): unknown => ({
  apiVersion: 'kubeskippy.io/v1alpha1',
  kind: 'HealingAction',
  metadata: { name, namespace: ns },
  spec: {
    policyRef: { name: 'columns', namespace: ns },
    targetResource: { apiVersion: 'v1', kind: 'Pod', namespace: ns, name: 'web-1' },
    action,
  },
});

const patchStatus = (kind: string, name: string, status: unknown): Promise<string> =>
  ok([
    'patch',
    kind,
    name,
    '-n',
    ns,
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify({ status }),
  ]);

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** One field error as the API server words it: `<path>: Invalid value: ["<value>": ]<message>`, or Required value / Forbidden / Unsupported value (an enum). */
const fieldError = (field: string, message: string): RegExp =>
  new RegExp(
    `${escape(field)}: (Invalid value: ("[^"]*": )?|Required value: |Forbidden: |Unsupported value: )${escape(message)}`,
  );

/** Column headers of a `kubectl get` table. */
const headers = (table: string): string[] =>
  table
    .split('\n')[0]!
    .trim()
    .split(/\s{2,}/);

describe('the CRDs on a real API server', () => {
  beforeAll(async () => {
    await ok([
      'apply',
      '--server-side',
      '--force-conflicts',
      '--field-manager=kubeskippy-tests',
      '-f',
      join(root, 'deploy', 'crds'),
    ]);
    await ok([
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/healingpolicies.kubeskippy.io',
      'crd/healingactions.kubeskippy.io',
    ]);
    await ok(['create', 'namespace', ns]);
  });
  afterAll(async () => {
    if (kubeconfig) await kubectl(['delete', 'namespace', ns, '--wait=false', '--ignore-not-found']);
  });

  const refused = badExamples().filter((e) => e.server !== 'accepts');
  it.each(refused.map((e, i) => [e.name, e, i] as const))(
    'kubectl apply refuses %s, naming the field and the problem',
    async (_name, example, i) => {
      const run = await kubectl(['apply', '-f', '-'], policy(`bad-${i}`, example.spec));
      expect(run.code).not.toBe(0);
      const server: { field?: string; message?: string } =
        typeof example.server === 'object' ? example.server : {};
      expect(run.stderr).toMatch(
        fieldError(server.field ?? example.field, server.message ?? example.message),
      );
    },
  );

  it.each(badExamples().flatMap((e, i) => (e.server === 'accepts' ? [[e.name, e, i] as const] : [])))(
    'accepts %s, which the controller then refuses naming the field',
    async (_name, example, i) => {
      const name = `code-only-${i}`;
      await ok(['apply', '-f', '-'], policy(name, example.spec));
      const stored = JSON.parse(await ok(['get', 'hp', name, '-n', ns, '-o', 'json'])) as { spec: unknown };
      const parsed = parseHealingPolicySpec(stored.spec);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(formatErrors(parsed.errors)).toContain(`${example.field}: ${example.message}`);
    },
  );

  it.each(goodExamples().map((e, i) => [e.name, e.spec, i] as const))(
    'accepts %s, as the zod schema does',
    async (_name, spec, i) => {
      const run = await kubectl(['apply', '-f', '-'], policy(`good-${i}`, spec));
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
    },
  );

  it('fills in the same defaults as the zod schema', async () => {
    await ok(['apply', '-f', '-'], policy('defaults', baseSpec()));
    const stored = JSON.parse(await ok(['get', 'hp', 'defaults', '-n', ns, '-o', 'json'])) as {
      spec: unknown;
    };
    expect(stored.spec).toEqual(HealingPolicySpec.parse(baseSpec()));
    expect(stored.spec).toMatchObject({ mode: 'monitor', evaluationInterval: '30s' });
  });

  it('refuses unknown fields by default and, with --validate=warn, warns and prunes them', async () => {
    const spec = { ...baseSpec(), colour: 'blue', triggers: [{ ...baseSpec().triggers[0]!, treshold: 90 }] };
    const strict = await kubectl(['apply', '-f', '-'], policy('unknown-fields', spec));
    expect(strict.code).not.toBe(0);
    expect(strict.stderr).toContain('unknown field "spec.colour"');
    const warned = await kubectl(['apply', '--validate=warn', '-f', '-'], policy('unknown-fields', spec));
    expect(warned.code).toBe(0);
    expect(warned.stderr).toContain('Warning: unknown field "spec.colour"');
    expect(warned.stderr).toContain('Warning: unknown field "spec.triggers[0].treshold"');
    const stored = JSON.parse(await ok(['get', 'hp', 'unknown-fields', '-n', ns, '-o', 'json'])) as {
      spec: Record<string, unknown> & { triggers: Record<string, unknown>[] };
    };
    expect(stored.spec).not.toHaveProperty('colour');
    expect(stored.spec.triggers[0]).not.toHaveProperty('treshold');
  });

  it('kubectl explain prints the descriptions and bounds from the zod schema', async () => {
    // kubectl wraps descriptions at 80 columns.
    const explain = async (field: string): Promise<string> =>
      (await ok(['explain', field])).replace(/\s+/g, ' ');
    const minReplicas = await explain('healingpolicies.spec.actions.scaleAction.minReplicas');
    expect(minReplicas).toContain('Never scale below this; at most maxReplicas.');
    const window = await explain('hp.spec.triggers.metricTrigger.window');
    expect(window).toContain('longer than 0s');
    expect(await explain('hp.spec')).toMatch(/triggers <\[\]Object> -required-/);
  });

  it('kubectl get hp and ha show the printer columns, filled from spec and status', async () => {
    await ok(['apply', '-f', '-'], policy('columns', baseSpec()));
    const ready = {
      type: 'Ready',
      status: 'True',
      reason: 'Running',
      lastTransitionTime: new Date().toISOString(),
    };
    const paused = { ...ready, type: 'Paused', reason: 'PausedBySignal' };
    const window = { ...ready, type: 'Window', reason: 'MaintenanceWindow' };
    // The mode in effect (a setMode override here), not the spec's monitor.
    await patchStatus('hp', 'columns', {
      mode: 'dryrun',
      actionsTaken: 2,
      conditions: [ready, paused, window],
      activeTriggers: ['busy'],
    });
    const hp = await ok(['get', 'hp', 'columns', '-n', ns]);
    expect(headers(hp)).toEqual(HP_COLUMNS);
    // LAST ACTION is unset: kubectl prints <none> for it, or nothing.
    expect(hp.split('\n')[1]).toMatch(
      /^columns\s+dryrun\s+True\s+MaintenanceWindow\s+True\s+2\s+(<none>\s+)?\d+s/,
    );
    const hpWide = await ok(['get', 'hp', 'columns', '-n', ns, '-o', 'wide']);
    expect(headers(hpWide)).toEqual(expect.arrayContaining(['ACTIVE TRIGGERS', 'LAST EVALUATED']));
    expect(hpWide.split('\n')[1]).toMatch(/\d+s\s+\["?busy"?\]/);

    await ok(['apply', '-f', '-'], healingAction('columns-restart', { name: 'restart', type: 'restart' }));
    await patchStatus('ha', 'columns-restart', { phase: 'Succeeded', reason: 'Healed' });
    const ha = await ok(['get', 'ha', 'columns-restart', '-n', ns]);
    expect(headers(ha)).toEqual(['NAME', 'POLICY', 'KIND', 'TARGET', 'ACTION', 'PHASE', 'AGE']);
    expect(ha.split('\n')[1]).toMatch(
      /^columns-restart\s+columns\s+Pod\s+web-1\s+restart\s+Succeeded\s+\d+s/,
    );
    const wide = await ok(['get', 'ha', 'columns-restart', '-n', ns, '-o', 'wide']);
    expect(headers(wide)).toContain('REASON');
    expect(wide.split('\n')[1]).toMatch(/Succeeded\s+Healed\s+\d+s/);
  });

  it('applies the HealingAction rules too (spec.action shares the policy action schema)', async () => {
    const run = await kubectl(
      ['apply', '-f', '-'],
      healingAction('bad-scale', { name: 'scale', type: 'scale' }),
    );
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(fieldError('spec.action.scaleAction', 'required when type is "scale"'));
  });
});
