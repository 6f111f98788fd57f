// Installs what the demo needs through the Kubernetes API (the same path for the simulated cluster
// and a real one): the CRDs, the demo apps and the policies, like `kubectl apply --server-side`.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PatchStrategy, setHeaderOptions, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { FIELD_MANAGER, type Kube } from '../../activities/kube/clients.js';
import { parseDuration } from '../../domain/duration.js';
import { renderCrdFiles } from '../../crds/render.js';
import type { Scenario } from './scenarios.js';
import { GROUP_VERSION } from '../../crds/api-group.js';

/** The project root, so `demo/...` paths work from any working directory. */
export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

type Obj = KubernetesObject & { spec?: Record<string, unknown> };

export async function readManifests(file: string): Promise<Obj[]> {
  const text = await readFile(join(PROJECT_ROOT, file), 'utf8');
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => Boolean(o?.kind));
}

/** Server-side apply of each object (created or updated); returns "kind/name" lines. */
export async function applyAll(kube: Kube, objects: Obj[]): Promise<string[]> {
  const seen = new Set<string>();
  const done: string[] = [];
  for (const obj of objects) {
    const key = `${obj.kind}/${obj.metadata?.namespace ?? ''}/${obj.metadata?.name}`;
    if (seen.has(key)) continue; // every demo app repeats its Namespace
    seen.add(key);
    if (obj.kind === 'CustomResourceDefinition') await applyCrd(kube, obj);
    else
      await kube.objects.patch(obj, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
    done.push(`${(obj.kind ?? '?').toLowerCase()}/${obj.metadata?.name}`);
  }
  return done;
}

/**
 * A CRD as plain JSON: KubernetesObjectApi serialises it through client-node's typed model, whose
 * JSONSchemaProps know `default`, `enum` and `x-kubernetes-*` only by their camel-case names and
 * silently drop them. A real API server then refuses the schema (an int-or-string without its
 * marker has no type); the sim used to accept it.
 */
async function applyCrd(kube: Kube, crd: Obj): Promise<void> {
  await kube.custom.patchClusterCustomObject(
    {
      group: 'apiextensions.k8s.io',
      version: 'v1',
      plural: 'customresourcedefinitions',
      name: crd.metadata!.name!,
      body: crd,
      fieldManager: FIELD_MANAGER,
      force: true,
    },
    setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
  );
}

/** Applies the CRDs and waits until the API serves them (a real cluster takes a moment). */
export async function installCrds(kube: Kube, timeoutMs = 30_000): Promise<void> {
  const crds = renderCrdFiles().flatMap((f) => parseAllDocuments(f.content).map((d) => d.toJS() as Obj));
  await applyAll(kube, crds);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await kube.custom.listClusterCustomObject({
        ...GROUP_VERSION,
        plural: 'healingpolicies',
      });
      return;
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`the CRDs were not served within ${timeoutMs} ms: ${String(err)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

export async function scenarioManifests(
  scenarios: readonly Scenario[],
  timeScale: number,
): Promise<{ apps: Obj[]; policies: Obj[] }> {
  const apps = (await Promise.all(scenarios.map((s) => readManifests(s.appFile)))).flat();
  const policies = (await Promise.all(scenarios.map((s) => readManifests(s.policyFile))))
    .flat()
    .map((p) => scalePolicy(p, timeScale));
  return { apps, policies };
}

/**
 * `--time-scale` speeds the sim's behaviours; the policy's windows must shrink with them or the
 * story breaks (at 0.4 a leaking pod goes from 85% to OOM in 12s, shorter than a 15s `for`
 * window). Intervals, windows, cooldowns and verification delays scale; timeouts do not, so a
 * faster demo never fails for lack of patience. Nothing below 1s: the workflow's own latency.
 */
export function scalePolicy(policy: Obj, timeScale: number): Obj {
  if (timeScale === 1 || policy.kind !== 'HealingPolicy') return policy;
  const copy = structuredClone(policy);
  const scale = (o: Record<string, unknown> | undefined, key: string, floorMs = 1000): void => {
    const v = o?.[key];
    if (o && typeof v === 'string')
      o[key] = `${Math.max(floorMs, Math.round(parseDuration(v) * timeScale))}ms`;
  };
  const spec = copy.spec as Record<string, unknown>;
  scale(spec, 'evaluationInterval');
  for (const t of (spec.triggers ?? []) as Record<string, Record<string, unknown> | undefined>[]) {
    scale(t as Record<string, unknown>, 'cooldownPeriod');
    for (const inner of [t.metricTrigger, t.conditionTrigger, t.eventTrigger]) {
      scale(inner, 'for');
      scale(inner, 'window');
    }
  }
  const verification = spec.verification as Record<string, unknown> | undefined;
  scale(verification, 'delay');
  scale(verification, 'interval');
  return copy;
}
