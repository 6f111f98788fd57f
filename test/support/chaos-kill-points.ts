// Where the worker-kill chaos test kills the operator. Each point waits for a moment in the life
// of an action, then SIGKILLs; a point that does not come within a few seconds kills anyway (and
// says so), so a run always has its 20 kills.
import type { StoreEvent } from '../../sim/contract.js';
import type { CliOperator } from './cli-operator.js';
import type { Approver } from './chaos-kill-fixtures.js';
import type { Engine } from './engine-harness.js';
import { sleep } from './engine-scenarios.js';

export const KILL_POINTS = [
  'start-up', // plans made, children starting, HealingActions being created
  'random',
  'Pending',
  'Executing',
  'Verifying',
  'AwaitingApproval',
  'approved',
  'on-write', // the destructive write (evict, delete, scale, patch, revert) has just been applied
  'on-write',
  'revert', // the revert of the patch that did not heal has just been applied
] as const;
export type KillPoint = (typeof KILL_POINTS)[number];

interface KillContext {
  engine: Engine;
  child: CliOperator;
  rnd: () => number;
  approver: Approver;
}

const WAIT_MS = 5000;
const CRASH_AFTER = 'sim.kubeskippy.io/crash-after';
const ORIGINAL_CRASH_AFTER = '500ms'; // chaos-kill-fixtures.ts: crashLoopingDeployment('kill-patch', '500ms')
const RESTART_APPS = new Set(['kill-evict', 'kill-delete', 'kill-approve']);

/** Waits for `point` (at most WAIT_MS), kills the child, and says where the kill landed. */
export async function killPoint(point: KillPoint, ctx: KillContext): Promise<string> {
  const { child, rnd } = ctx;
  let label: string = point;
  if (point === 'on-write' || point === 'revert') {
    label = await killOnWrite(ctx, point === 'revert');
  } else {
    const reached = await reach(point, ctx);
    if (!reached) label = `${point}(not reached)`;
    else if (point !== 'start-up' && point !== 'random') await sleep(rnd() * 400);
  }
  await child.kill();
  return label;
}

async function reach(point: Exclude<KillPoint, 'on-write' | 'revert'>, ctx: KillContext): Promise<boolean> {
  const { engine, rnd, approver } = ctx;
  if (point === 'start-up') return sleep(rnd() * 500).then(() => true);
  if (point === 'random') return sleep(300 + rnd() * 2700).then(() => true);
  if (point === 'approved') {
    return Promise.race([approver.nextApproval().then(() => true), sleep(WAIT_MS).then(() => false)]);
  }
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline) {
    if (engine.actions().some((a) => a.status?.phase === point)) return true;
    await sleep(50);
  }
  return false;
}

/**
 * SIGKILL from inside the sim's store listener, synchronously, as the write commits: the API
 * server has not even answered yet, so the activity that made the call can never report it.
 */
async function killOnWrite(ctx: KillContext, revertOnly: boolean): Promise<string> {
  const { engine, child } = ctx;
  const generations = new Map<string, number>();
  for (const d of engine.sim.store.list('apps/v1/deployments', { namespace: engine.namespace }))
    generations.set(d.metadata.name!, Number(d.metadata.generation));
  const terminating = new Set(
    engine.sim.store
      .list('core/v1/pods', { namespace: engine.namespace })
      .filter((p) => p.metadata.deletionTimestamp)
      .map((p) => p.metadata.uid!),
  );
  let hit: string | undefined;
  const isDestructive = (e: StoreEvent): string | undefined => {
    const o = e.object;
    if (o.metadata.namespace !== engine.namespace) return undefined;
    if (e.resource === 'apps/v1/deployments' && e.type === 'MODIFIED') {
      const before = generations.get(o.metadata.name!);
      generations.set(o.metadata.name!, Number(o.metadata.generation));
      if (before === undefined || Number(o.metadata.generation) <= before) return undefined;
      // The revert puts the crash-looping app's original crash-after back.
      const reverted = o.spec.template.metadata?.annotations?.[CRASH_AFTER] === ORIGINAL_CRASH_AFTER;
      if (revertOnly) return o.metadata.name === 'kill-patch' && reverted ? 'revert' : undefined;
      return `write:${o.metadata.name}`;
    }
    if (revertOnly) return undefined;
    // Pods of the restart apps only: a rollout's own pod turnover is the sim's doing, not ours.
    if (e.resource !== 'core/v1/pods' || !RESTART_APPS.has(o.metadata.labels?.app ?? '')) return undefined;
    if (terminating.has(o.metadata.uid!)) return undefined;
    if (e.type === 'DELETED' || (e.type === 'MODIFIED' && o.metadata.deletionTimestamp)) {
      terminating.add(o.metadata.uid!);
      return `write:${o.metadata.labels?.app ?? 'pod'}`;
    }
    return undefined;
  };
  const unsubscribe = engine.sim.store.subscribe((e) => {
    if (hit) return;
    hit = isDestructive(e);
    if (hit) process.kill(child.pid, 'SIGKILL');
  });
  const deadline = Date.now() + WAIT_MS;
  while (!hit && Date.now() < deadline) await sleep(25);
  unsubscribe();
  return hit ?? `${revertOnly ? 'revert' : 'on-write'}(not reached)`;
}
