// One action model. A normalized action is a discriminated union on `type`: the fields every
// action has, plus its type's own block with the defaults applied. Per-type behaviour lives in one
// table below, keyed by every action type of the CRD, so a new type fails to compile until it has
// its block here and its entry: how it is normalized from the CRD template, what it does in words
// (for people and the model), whether it changes the pod's owning workload, which owner kinds it
// supports, and how many ready pods it takes away. Its executor is the one other registry line
// (activities/executors/index.ts), keyed by the same union. Executors consume the action as is.
//
// Adding an action type: its CRD block (crds/policy-actions.ts), a line in ActionBlocks and an
// entry in ACTION_TYPES here, its executor (activities/executors/<type>.ts) and its line in the
// executor table (activities/executors/index.ts); then `npm run gen` for the CRD YAML.
import type { DeleteAction, HealingActionTemplate, JobAction, ScaleAction } from '../crds/healing-policy.js';
import { normalizePatch } from './patch.js';
import { DEFAULT_WEBHOOK_BODY } from './webhook.js';

export type RestartStrategy = 'evict' | 'delete' | 'rollout';

export interface NormalizedPatch {
  type: 'strategic' | 'merge' | 'json';
  /** The patch document as written (JSON or YAML); legacy `patches` become a JSON merge patch. */
  patch: string;
  allowedPaths: string[];
  target: 'owner' | 'self';
}

/** Each action type's own block, defaults applied, under the same key as in the CRD. */
interface ActionBlocks {
  restart: {
    restartAction: { strategy: RestartStrategy; gracePeriodSeconds: number; maxConcurrent?: number };
  };
  scale: { scaleAction: Omit<ScaleAction, 'strategy'> };
  patch: { patchAction: NormalizedPatch };
  delete: { deleteAction: DeleteAction };
  webhook: { webhookAction: { url: string; body: string; timeoutSeconds: number } };
  job: { jobAction: JobAction };
}

/** The action types: exactly the CRD's enum (checked below). */
export type ActionType = keyof ActionBlocks;

/** What every action has, whatever its type. */
export interface ActionBase {
  name: string;
  description?: string;
  priority: number;
  requiresApproval: boolean;
  /** Trigger names this action answers, resolved (never empty). */
  triggers: string[];
}

export type ActionOf<K extends ActionType> = ActionBase & { type: K } & ActionBlocks[K];

/**
 * An action template with its type's block filled in (and no other block). It is structurally a
 * valid crds `HealingActionTemplate`, so it can be copied into a HealingAction's spec.action as is.
 */
export type NormalizedAction = { [K in ActionType]: ActionOf<K> }[ActionType];

/** `true` only when A and B are the same union (a compile-time check between the CRD and the domain). */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
// Both directions, so the CRD enum and the table cannot drift apart in either.
const sameTypes: Same<ActionType, HealingActionTemplate['type']> = true;
void sameTypes;
// And every normalized action is a valid template: the HealingAction records a copy of it.
const isTemplate = (a: NormalizedAction): HealingActionTemplate => a;
void isTemplate;

interface ActionTypeEntry<K extends ActionType> {
  /**
   * The action from its template: `base` plus the type's block with its defaults; undefined when
   * the block is required and missing (the CRD schema refuses that, so it does not happen).
   */
  normalize(
    t: HealingActionTemplate,
    base: ActionBase,
    where: string,
    warnings: string[],
  ): ActionOf<K> | undefined;
  describe(a: ActionOf<K>): string;
  /** Changes the owning workload (scale, rollout, patch of the template) rather than the pod. */
  actsOnOwner(a: ActionOf<K>): boolean;
  /** Owner kinds it supports when it acts on the owner; undefined: any. */
  ownerKinds?: readonly string[];
  /** Ready pods it takes away: 1 for the firing pod (when ready), the scale-down, or 0. */
  readyLoss(a: ActionOf<K>, podReady: boolean, scale?: { from: number; to: number }): number;
}

/** The Go KubeSkippy operator's strategy names, kept so policies written for it still apply. */
const LEGACY_STRATEGY: Record<string, RestartStrategy> = {
  evict: 'evict',
  delete: 'delete',
  rollout: 'rollout',
  rolling: 'rollout',
  recreate: 'delete',
  graceful: 'evict',
};

const ACTION_TYPES: { [K in ActionType]: ActionTypeEntry<K> } = {
  restart: {
    normalize: (t, base) => {
      const r = t.restartAction ?? { strategy: 'evict', gracePeriodSeconds: 30 };
      const strategy = LEGACY_STRATEGY[r.strategy] ?? 'evict';
      return {
        ...base,
        type: 'restart',
        restartAction: {
          strategy,
          gracePeriodSeconds: r.gracePeriodSeconds,
          ...(r.maxConcurrent !== undefined ? { maxConcurrent: r.maxConcurrent } : {}),
        },
      };
    },
    describe: ({ restartAction: { strategy } }) =>
      strategy === 'rollout'
        ? 'rolling restart of the owning workload (new pods, one at a time)'
        : strategy === 'delete'
          ? 'delete the pod so its controller recreates it'
          : 'evict the pod (honours PodDisruptionBudgets) so its controller recreates it',
    actsOnOwner: (a) => a.restartAction.strategy === 'rollout',
    ownerKinds: ['Deployment', 'StatefulSet', 'DaemonSet'],
    // A rollout replaces pods one at a time and keeps the workload's own availability rules.
    readyLoss: (a, podReady) => (a.restartAction.strategy !== 'rollout' && podReady ? 1 : 0),
  },
  scale: {
    normalize: (t, base, where, warnings) => {
      if (!t.scaleAction) return undefined;
      // `strategy` appears in the Go KubeSkippy's sample policies but meant nothing there either.
      const { strategy, ...scaleAction } = t.scaleAction;
      if (strategy !== undefined)
        warnings.push(
          `${where}.scaleAction.strategy: "${strategy}" is not used; a scale is applied in one step`,
        );
      return { ...base, type: 'scale', scaleAction };
    },
    describe: ({ scaleAction: s }) =>
      `scale the owning workload ${s.direction} by ${s.replicas} (within ${s.minReplicas}..${s.maxReplicas} replicas)`,
    actsOnOwner: () => true,
    ownerKinds: ['Deployment', 'StatefulSet', 'ReplicaSet'],
    readyLoss: (_a, _ready, scale) => (scale ? Math.max(0, scale.from - scale.to) : 0),
  },
  patch: {
    normalize: (t, base, where, warnings) =>
      t.patchAction
        ? { ...base, type: 'patch', patchAction: normalizePatch(t.patchAction, where, warnings) }
        : undefined,
    describe: ({ patchAction: p }) =>
      `patch the ${p.target === 'self' ? 'pod' : 'owning workload'} (paths: ${p.allowedPaths.join(', ')}), reverted if it does not heal`,
    actsOnOwner: (a) => a.patchAction.target === 'owner',
    readyLoss: () => 0,
  },
  delete: {
    normalize: (t, base) => ({
      ...base,
      type: 'delete',
      deleteAction: t.deleteAction
        ? { ...t.deleteAction }
        : { gracePeriodSeconds: 30, force: false, propagationPolicy: 'Background' },
    }),
    describe: () => 'delete the pod',
    actsOnOwner: () => false,
    readyLoss: (_a, podReady) => (podReady ? 1 : 0),
  },
  webhook: {
    normalize: (t, base) =>
      t.webhookAction
        ? {
            ...base,
            type: 'webhook',
            webhookAction: {
              url: t.webhookAction.url,
              body: t.webhookAction.body ?? DEFAULT_WEBHOOK_BODY,
              timeoutSeconds: t.webhookAction.timeoutSeconds,
            },
          }
        : undefined,
    describe: ({ webhookAction: w }) => `POST the incident to ${w.url} (changes nothing in the cluster)`,
    actsOnOwner: () => false,
    readyLoss: () => 0,
  },
  job: {
    normalize: (t, base) => (t.jobAction ? { ...base, type: 'job', jobAction: t.jobAction } : undefined),
    describe: ({ jobAction: j }) =>
      `run a Job (${j.template.spec.containers.map((c) => c.image).join(', ')}) in the policy's namespace and wait for it (changes nothing else)`,
    actsOnOwner: () => false,
    readyLoss: () => 0,
  },
};

/** The table entry of `a`'s type, typed for `a` (TypeScript correlates the key with the entry). */
const entryOf = <K extends ActionType>(a: ActionOf<K>): ActionTypeEntry<K> => ACTION_TYPES[a.type];

/** Every action type, in the CRD's order. */
export const ACTION_TYPE_NAMES = Object.keys(ACTION_TYPES) as ActionType[];

/** The action a template becomes (see ActionTypeEntry.normalize). */
export function normalizeActionOf(
  t: HealingActionTemplate,
  base: ActionBase,
  where: string,
  warnings: string[],
): NormalizedAction | undefined {
  return ACTION_TYPES[t.type].normalize(t, base, where, warnings);
}

/** What an action does, in words a model (and a person) can weigh. */
export const describeAction = (a: NormalizedAction): string => entryOf(a).describe(a);

/** True when the action changes the pod's owning workload rather than the pod. */
export const actsOnOwner = (a: NormalizedAction): boolean => entryOf(a).actsOnOwner(a);

/** Owner kinds the action supports when it acts on the owner; undefined: any. */
export const ownerKindsOf = (a: NormalizedAction): readonly string[] | undefined => entryOf(a).ownerKinds;

/** Ready pods the action takes away (see domain/safety.ts readyLoss). */
export const readyLossOf = (
  a: NormalizedAction,
  podReady: boolean,
  scale?: { from: number; to: number },
): number => entryOf(a).readyLoss(a, podReady, scale);
