// `kubeskippy incident export`: everything needed to understand and replay one incident elsewhere.
//
//   DIR/history.json          the workflow history (proto3 JSON; `kubeskippy replay --history DIR`)
//   DIR/incident.json         workflow id, run, type, what was and was not found
//   DIR/healing-policy.json   the HealingPolicy object            ┐ from the cluster, when a
//   DIR/healing-actions.json  the HealingActions it started       │ kubeconfig is given
//   DIR/events.json           Events about the policy, the actions and their targets ┘
//   DIR/README.txt            how to replay it
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { Kube } from '../../activities/kube/clients.js';
import type { PlannedAction } from '../../domain/plan-types.js';
import { historyToJson, type History } from './history-json.js';
import { HISTORY_FILE, MANIFEST_FILE, type IncidentManifest } from './load.js';
import { historyInfo } from './replay.js';
import { GROUP_VERSION } from '../../crds/api-group.js';

type Payloads = { payloads?: unknown[] | null } | null | undefined;

function firstArg<T>(p: Payloads): T | undefined {
  const payload = p?.payloads?.[0];
  return payload ? defaultPayloadConverter.fromPayload<T>(payload as never) : undefined;
}

interface Related {
  policy?: { namespace: string; name: string };
  actions: PlannedAction[];
}

/** The policy and the actions a history is about, from its inputs (nothing else is needed). */
export function relatedObjects(history: History): Related {
  const events = history.events ?? [];
  const started = events[0]?.workflowExecutionStartedEventAttributes;
  const input = firstArg<{ policy?: { namespace: string; name: string }; planned?: PlannedAction }>(
    started?.input,
  );
  if (input?.planned) return { policy: input.planned.policyRef, actions: [input.planned] };
  const actions = events.flatMap((e) => {
    const child = firstArg<{ planned?: PlannedAction }>(
      e.startChildWorkflowExecutionInitiatedEventAttributes?.input,
    );
    return child?.planned ? [child.planned] : [];
  });
  return {
    ...(input?.policy ? { policy: { namespace: input.policy.namespace, name: input.policy.name } } : {}),
    actions,
  };
}

async function fromCluster(
  kube: Kube,
  related: Related,
  missing: string[],
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const ns = related.policy?.namespace ?? related.actions[0]?.policyRef.namespace;
  if (!ns) return out;
  const get = async (plural: string, name: string): Promise<unknown> => {
    try {
      return await kube.custom.getNamespacedCustomObject({ ...GROUP_VERSION, namespace: ns, plural, name });
    } catch (err) {
      missing.push(`${plural}/${name}: ${(err as Error).message.split('\n')[0]}`);
      return undefined;
    }
  };
  if (related.policy) out['healing-policy.json'] = await get('healingpolicies', related.policy.name);
  const actions = [];
  for (const a of related.actions) actions.push(await get('healingactions', a.healingActionName));
  out['healing-actions.json'] = actions.filter(Boolean);
  const names = new Set<string>([
    ...(related.policy ? [`HealingPolicy/${related.policy.name}`] : []),
    ...related.actions.flatMap((a) => [
      `HealingAction/${a.healingActionName}`,
      `${a.target.kind}/${a.target.name}`,
      `${a.firingPod.kind}/${a.firingPod.name}`,
    ]),
  ]);
  try {
    const events = await kube.core.listNamespacedEvent({ namespace: ns });
    out['events.json'] = events.items.filter((e) =>
      names.has(`${e.involvedObject.kind}/${e.involvedObject.name}`),
    );
  } catch (err) {
    missing.push(`events in ${ns}: ${(err as Error).message.split('\n')[0]}`);
  }
  return out;
}

function readme(m: IncidentManifest, files: string[], missing: string[]): string {
  return [
    `KubeSkippy incident: ${m.workflowType} ${m.workflowId}${m.runId ? ` (run ${m.runId})` : ''}`,
    `Exported ${m.exportedAt}.`,
    '',
    'Files:',
    ...files.map((f) => `  ${f}`),
    ...(missing.length ? ['', 'Not found:', ...missing.map((x) => `  ${x}`)] : []),
    '',
    "Would today's code make the same decisions? From a KubeSkippy checkout (no cluster or server needed):",
    '',
    '  node bin/kubeskippy.js replay --history <this directory>',
    '',
    'Exit 0 = the same decisions; 3 = a difference, explained in words. The history is standard',
    'Temporal JSON: `temporal workflow show --output json` writes the same format, and',
    'Worker.runReplayHistory replays it. The *.json objects apply with `kubectl apply -f`.',
    '',
  ].join('\n');
}

export async function exportIncident(opts: {
  client: Client;
  workflowId: string;
  runId?: string;
  out: string;
  kube?: Kube;
}): Promise<{ files: string[]; missing: string[]; manifest: IncidentManifest }> {
  const handle = opts.client.workflow.getHandle(opts.workflowId, opts.runId);
  const { runId } = await handle.describe();
  const history = await handle.fetchHistory();
  const manifest: IncidentManifest = {
    workflowId: opts.workflowId,
    ...(runId ? { runId } : {}),
    workflowType: historyInfo(history).workflowType,
    exportedAt: new Date().toISOString(),
  };
  const missing: string[] = [];
  const files: Record<string, unknown> = { [HISTORY_FILE]: historyToJson(history) };
  const related = relatedObjects(history);
  if (opts.kube) Object.assign(files, await fromCluster(opts.kube, related, missing));
  else missing.push('HealingPolicy, HealingActions and Events: no --kubeconfig given');
  files[MANIFEST_FILE] = { ...manifest, missing };
  await mkdir(opts.out, { recursive: true });
  for (const [name, value] of Object.entries(files))
    if (value !== undefined) await writeFile(join(opts.out, name), JSON.stringify(value, null, 1) + '\n');
  const written = Object.keys(files).filter((f) => files[f] !== undefined);
  await writeFile(join(opts.out, 'README.txt'), readme(manifest, [...written, 'README.txt'], missing));
  return { files: [...written, 'README.txt'], missing, manifest };
}
