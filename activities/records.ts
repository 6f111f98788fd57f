// The audit trail in the cluster: HealingAction CRs (created first, status kept current) and
// Kubernetes Events on the target and the policy. Every write is idempotent: the CR name and the
// Event name derive from the action workflow id, so a retried activity finds what it wrote.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../crds/common.js';
import type { HealingActionSpec, HealingActionStatus } from '../crds/healing-action.js';
import type { EmitEventInput } from '../domain/events.js';
import { FIELD_MANAGER, type Kube } from './kube/clients.js';
import { classify, ErrorType, kubeCall, toFailure } from './kube/errors.js';

const PLURAL = 'healingactions';
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export interface EnsureActionRecordInput {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  spec: HealingActionSpec;
  status: HealingActionStatus;
}

/** Creates the HealingAction (or finds the one a previous attempt created) and sets its status. */
export async function ensureActionRecord(
  kube: Kube,
  input: EnsureActionRecordInput,
): Promise<{ uid: string; created: boolean }> {
  const { name, namespace } = input;
  let created = true;
  let obj: { metadata?: { uid?: string } };
  try {
    obj = await kube.custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: PLURAL,
      fieldManager: FIELD_MANAGER,
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'HealingAction',
        metadata: { name, namespace, labels: input.labels, annotations: input.annotations },
        spec: input.spec,
      },
    });
  } catch (err) {
    if (classify(err).type !== ErrorType.Conflict || !/already exists/i.test(classify(err).message)) {
      throw toFailure(err, `create HealingAction ${namespace}/${name}`);
    }
    created = false;
    obj = await kubeCall(`get HealingAction ${namespace}/${name}`, () =>
      kube.custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: PLURAL,
        name,
      }),
    );
  }
  // Always (re)write the initial status: this activity completes before any later step writes one.
  await patchActionStatus(kube, { name, namespace, status: input.status });
  return { uid: obj.metadata?.uid ?? '', created };
}

/** Merge-patches the status subresource; fields not given are left as they are. */
export async function patchActionStatus(
  kube: Kube,
  input: { name: string; namespace: string; status: HealingActionStatus },
): Promise<void> {
  await mergePatchAction(kube, 'update status of', input, { status: input.status }, 'status');
}

/** Sets labels on a HealingAction (the phase label lets `kubectl get ha -l kubeskippy.io/phase=...` filter). */
export async function labelActionRecord(
  kube: Kube,
  input: { name: string; namespace: string; labels: Record<string, string> },
): Promise<void> {
  await mergePatchAction(kube, 'label', input, { metadata: { labels: input.labels } }, 'object');
}

/** One JSON merge patch of a HealingAction, to the object or to its status subresource. */
async function mergePatchAction(
  kube: Kube,
  verb: string,
  ref: { name: string; namespace: string },
  body: object,
  part: 'object' | 'status',
): Promise<void> {
  const { name, namespace } = ref; // only these: the inputs carry their payload too
  const params = {
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
    name,
    namespace,
    fieldManager: FIELD_MANAGER,
    body,
  };
  await kubeCall(`${verb} HealingAction ${ref.namespace}/${ref.name}`, () =>
    part === 'status'
      ? kube.custom.patchNamespacedCustomObjectStatus(params, mergePatch)
      : kube.custom.patchNamespacedCustomObject(params, mergePatch),
  );
}

export type { EmitEventInput } from '../domain/events.js';

/**
 * The Event's object name: `input.name` made a valid DNS subdomain (lowercase, [a-z0-9.-], at most
 * 253 characters, alphanumeric at both ends). Deterministic, so a retry still finds what it wrote;
 * without it a name like `<action>.HealingStarted` is a 422 and the Event is lost.
 */
export function eventName(name: string): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .split('.')
    .map((label) => label.replace(/^-+|-+$/g, ''))
    .filter(Boolean)
    .join('.')
    .slice(0, 253)
    .replace(/[.-]+$/, '');
  return cleaned || 'kubeskippy';
}

export async function emitEvent(kube: Kube, input: EmitEventInput): Promise<void> {
  const namespace = input.involvedObject.namespace;
  try {
    await kube.core.createNamespacedEvent({
      namespace,
      body: {
        metadata: { name: eventName(input.name), namespace },
        involvedObject: input.involvedObject,
        type: input.type,
        reason: input.reason,
        message: input.message.slice(0, 1024),
        source: { component: 'kubeskippy' },
        reportingComponent: 'kubeskippy.io/operator',
        reportingInstance: 'kubeskippy',
        firstTimestamp: new Date(input.timeMs),
        lastTimestamp: new Date(input.timeMs),
        count: 1,
        action: input.reason,
      },
    });
  } catch (err) {
    const { type, message } = classify(err);
    if (type === ErrorType.Conflict && /already exists/i.test(message)) return; // written by a previous attempt
    throw toFailure(err, `emit event ${input.reason}`);
  }
}
