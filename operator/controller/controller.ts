// The controller half of the operator: HealingPolicy CRs → policy workflows, workflow state →
// CR status, and approval annotations on HealingActions → approveAction updates.
//
//   informer(HealingPolicy) ── valid spec ──▶ updateWithStart(updatePolicy, USE_EXISTING)
//          │                └─ invalid ────▶ status Ready=False (field named), no workflow
//          └── deleted ───────────────────▶ cancel the workflow
//   every statusInterval: query `status` of the policies due ──▶ patch CR status (status-mirror.ts)
//   informer(HealingAction) ── kubeskippy.io/approve=true|reject ──▶ approveAction update
//   list/watch answers 404 ──▶ "CRD not installed: kubeskippy crds | kubectl apply -f -" (logged at
//          most once a minute), not ready, retried with back-off until the CRD appears
import {
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  type Informer,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { WithStartWorkflowOperation, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Kube } from '../../activities/kube/clients.js';
import { GROUP, VERSION } from '../../crds/common.js';
import type { HealingPolicyStatus } from '../../crds/healing-policy.js';
import { formatErrors, parseHealingPolicySpec } from '../../crds/validate.js';
import { policyWorkflowId } from '../../domain/ids.js';
import { POLICY_WORKFLOW, updatePolicyUpdate, type PolicyRefInput } from '../../workflows/messages.js';
import type { policyWorkflow } from '../../workflows/policy-workflow.js';
import * as sa from '../../workflows/search-attributes.js';
import type { Logger } from '../logger.js';
import { relayApproval, type HealingActionObject } from './approval-relay.js';
import { ClusterConfigWatcher } from './cluster-config.js';
import { isNotFound, missingCrdMessage, nextRetryDelay } from './missing-crd.js';
import { invalidStatus, mirroredStatus, notRunningStatus } from './policy-status.js';
import {
  DEFAULT_MIRROR_TIMINGS,
  StatusMirror,
  statusQuerier,
  type MirrorPorts,
  type MirrorSubject,
  type MirrorTimings,
} from './status-mirror.js';

export interface ControllerOptions {
  kube: Kube;
  client: Client;
  /** The operator's cluster name (config.clusterName): in every workflow id it starts or finds. */
  cluster: string;
  taskQueue: string;
  logger: Logger;
  /** How often workflow state is mirrored into CR status (a busy policy's query interval). */
  statusIntervalMs?: number;
  /** The rest of the mirror's timings (status-mirror.ts); defaults DEFAULT_MIRROR_TIMINGS. */
  mirrorTimings?: Partial<MirrorTimings>;
  /** Restart delay for an informer whose watch failed; the first retry while a CRD is missing. */
  restartDelayMs?: number;
  /** Longest pause between checks while a CRD is missing (the delay doubles up to it). */
  missingCrdMaxDelayMs?: number;
  /** How often the missing-CRD error is logged again while it lasts. */
  missingCrdLogEveryMs?: number;
}

interface PolicyObject extends KubernetesObject {
  spec?: unknown;
  status?: HealingPolicyStatus;
}

interface Tracked extends MirrorSubject {
  namespace: string;
  name: string;
  generation?: number;
  /** The generation the running workflow has; undefined when no valid spec was ever seen. */
  runningGeneration?: number;
  /** The last valid spec, to start the workflow again if it was terminated from outside. */
  ref?: PolicyRefInput;
  status?: HealingPolicyStatus;
  /** The newest generation, when it was rejected: Ready stays False until a valid one arrives. */
  invalid?: { generation?: number; message: string };
}

/** One watched custom resource and what the API server said about it. */
interface Watched {
  kind: 'HealingPolicy' | 'HealingAction';
  plural: string;
  informer: Informer<KubernetesObject>;
  /** Lists through the informer's list function (and so marks the resource found). */
  list: () => Promise<unknown>;
  /** Listed successfully at least once. */
  listed: boolean;
  /** The API answers 404 for it: its CRD is not installed. */
  missing: boolean;
  retryMs?: number;
  lastLoggedMs?: number;
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export class Controller {
  private readonly policies = new Map<string, Tracked>();
  private watched: Watched[] = [];
  private readonly retries = new Set<NodeJS.Timeout>();
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private stopped = false;
  private mirroring: Promise<void> | undefined;
  private readonly log: Logger;
  /** The KubeSkippyConfig `cluster` → the cluster workflow (kill switch, cluster budget). */
  private readonly cluster: ClusterConfigWatcher;
  /** Workflow state → CR status (status-mirror.ts); its `stats` count queries and patches. */
  readonly mirror: StatusMirror<Tracked>;

  constructor(private readonly opts: ControllerOptions) {
    this.log = opts.logger.child({ component: 'controller' });
    this.mirror = new StatusMirror(this.mirrorPorts(), {
      ...DEFAULT_MIRROR_TIMINGS,
      ...(opts.statusIntervalMs !== undefined ? { statusIntervalMs: opts.statusIntervalMs } : {}),
      ...opts.mirrorTimings,
    });
    const { kube, client, cluster, taskQueue, logger } = opts;
    const statusIntervalMs = this.mirror.timings.statusIntervalMs;
    this.cluster = new ClusterConfigWatcher({ kube, client, cluster, taskQueue, logger, statusIntervalMs });
  }

  /** The valid policies whose workflows this controller started (the alert receiver routes to them). */
  runningPolicies(): PolicyRefInput[] {
    return [...this.policies.values()].flatMap((t) => (t.ref && !t.invalid ? [t.ref] : []));
  }

  /** What /readyz reports: both resources listed, and their CRDs installed. */
  get ready(): boolean {
    return this.notReadyReason() === undefined;
  }

  /** Why the controller is not ready, in words for /readyz; undefined when it is. */
  notReadyReason(): string | undefined {
    if (!this.started) return 'the controller has not started';
    const missing = this.watched.filter((w) => w.missing).map((w) => w.kind);
    if (missing.length) return missingCrdMessage(missing);
    const unlisted = this.watched.filter((w) => !w.listed).map((w) => `${w.kind}s`);
    if (unlisted.length) return `waiting to list ${unlisted.join(' and ')} from the API server`;
    return undefined;
  }

  async start(): Promise<void> {
    const policies = this.watch<PolicyObject>('HealingPolicy', 'healingpolicies');
    policies.on('add', (o) => void this.onPolicy(o));
    policies.on('update', (o) => void this.onPolicy(o));
    policies.on('delete', (o) => void this.onPolicyDeleted(o));
    const actions = this.watch<HealingActionObject>('HealingAction', 'healingactions');
    const relay = (o: HealingActionObject): void =>
      void relayApproval(this.opts.client, o, this.log).catch((err) =>
        this.log.warn({ err }, 'approval relay failed'),
      );
    actions.on('add', relay);
    actions.on('update', relay);
    this.started = true;
    await Promise.all([...this.watched.map((w) => w.informer.start()), this.cluster.start()]);
    this.timer = setInterval(() => {
      // One mirror pass at a time; stop() waits for the one in flight before connections close.
      this.mirroring ??= this.mirrorAll().finally(() => (this.mirroring = undefined));
    }, this.mirror.timings.statusIntervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const t of this.retries) clearTimeout(t);
    this.retries.clear();
    await this.mirroring?.catch(() => undefined);
    await Promise.all([...this.watched.map((w) => w.informer.stop()), this.cluster.stop()]);
  }

  /** An informer over one custom resource, restarted when its watch fails. */
  private watch<T extends KubernetesObject>(kind: Watched['kind'], plural: string): Informer<T> {
    const { kube } = this.opts;
    const list = async (): Promise<KubernetesListObject<T>> => {
      const result = (await kube.custom.listClusterCustomObject({
        group: GROUP,
        version: VERSION,
        plural,
      })) as KubernetesListObject<T>;
      this.found(w);
      return result;
    };
    const informer = makeInformer<T>(kube.config, `/apis/${GROUP}/${VERSION}/${plural}`, list);
    const w: Watched = {
      kind,
      plural,
      informer: informer as unknown as Informer<KubernetesObject>,
      list,
      listed: false,
      missing: false,
    };
    this.watched.push(w);
    informer.on('error', (err: unknown) => {
      if (this.stopped) return;
      if (isNotFound(err)) return this.onMissing(w);
      // A watch can end (timeouts, API server restarts, network): start it again after a pause.
      this.log.warn({ err: (err as Error)?.message, resource: plural }, 'watch failed; restarting');
      this.later(() => informer.start(), this.opts.restartDelayMs ?? 2000);
    });
    return informer;
  }

  private later(fn: () => Promise<void>, ms: number): void {
    const t = setTimeout(() => {
      this.retries.delete(t);
      if (!this.stopped) void fn().catch(() => undefined);
    }, ms);
    this.retries.add(t);
  }

  /** The list worked: the CRD is there (again). */
  private found(w: Watched): void {
    w.listed = true;
    if (!w.missing) return;
    w.missing = false;
    delete w.retryMs;
    delete w.lastLoggedMs;
    this.log.info({ resource: w.plural }, `the ${w.kind} CRD is installed now; watching ${w.plural}`);
  }

  /** 404 from list or watch: say what to do (at most once a minute), check again with back-off. */
  private onMissing(w: Watched): void {
    w.missing = true;
    const now = Date.now();
    if (w.lastLoggedMs === undefined || now - w.lastLoggedMs >= (this.opts.missingCrdLogEveryMs ?? 60_000)) {
      w.lastLoggedMs = now;
      this.log.error({ resource: `${w.plural}.${GROUP}` }, missingCrdMessage([w.kind]));
    }
    w.retryMs = nextRetryDelay(
      w.retryMs,
      this.opts.restartDelayMs ?? 2000,
      this.opts.missingCrdMaxDelayMs ?? 30_000,
    );
    this.later(async () => {
      try {
        await w.list(); // cheap check first; the informer only starts again once the CRD is there
      } catch (err) {
        if (this.stopped) return;
        if (isNotFound(err)) return this.onMissing(w);
        this.log.warn({ err: (err as Error)?.message, resource: w.plural }, 'list failed; retrying');
        return this.later(() => w.informer.start(), w.retryMs ?? 2000);
      }
      await w.informer.start();
    }, w.retryMs);
  }

  private key(o: KubernetesObject): string {
    return `${o.metadata?.namespace}/${o.metadata?.name}`;
  }

  private async onPolicy(obj: PolicyObject): Promise<void> {
    const namespace = obj.metadata?.namespace ?? 'default';
    const name = obj.metadata?.name ?? '';
    const generation = obj.metadata?.generation;
    const tracked = this.policies.get(this.key(obj)) ?? { namespace, name };
    tracked.status = obj.status;
    this.policies.set(this.key(obj), tracked);
    if (generation !== undefined && tracked.generation === generation) return; // a status-only change
    tracked.generation = generation;
    const log = this.log.child({ policy: `${namespace}/${name}`, generation });
    const parsed = parseHealingPolicySpec(obj.spec);
    if (!parsed.ok) {
      const message = formatErrors(parsed.errors);
      log.warn({ errors: parsed.errors }, 'invalid HealingPolicy');
      tracked.invalid = { ...(generation !== undefined ? { generation } : {}), message };
      const status = invalidStatus({
        generation,
        message,
        previous: obj.status,
        runningGeneration: tracked.runningGeneration,
        nowIso: new Date().toISOString(),
      });
      // This runs from an informer event (`void`): a refused patch must not become an unhandled
      // rejection, which ends the process. Forget the generation so the next event tries again.
      await this.patchStatus(tracked, status).catch((err: unknown) => {
        tracked.generation = undefined;
        log.error({ err: (err as Error).message }, 'could not write the Ready=False status');
      });
      return;
    }
    const ref: PolicyRefInput = {
      cluster: this.opts.cluster,
      namespace,
      name,
      ...(obj.metadata?.uid ? { uid: obj.metadata.uid } : {}),
      ...(generation !== undefined ? { generation } : {}),
      spec: parsed.value,
    };
    try {
      await this.ensureWorkflow(ref);
      tracked.runningGeneration = generation;
      tracked.ref = ref;
      delete tracked.invalid;
      log.info('policy workflow in sync');
      await this.mirror.mirror(tracked);
    } catch (err) {
      tracked.generation = undefined; // try again on the next event or resync
      log.error({ err: (err as Error).message }, 'could not start or update the policy workflow');
    }
  }

  /** Starts the workflow with this spec, or delivers it as an update to the running one. */
  private async ensureWorkflow(ref: PolicyRefInput): Promise<void> {
    const workflowId = policyWorkflowId(this.opts.cluster, ref.namespace, ref.name);
    const start = new WithStartWorkflowOperation<typeof policyWorkflow>(POLICY_WORKFLOW, {
      workflowId,
      taskQueue: this.opts.taskQueue,
      args: [{ policy: ref }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: [
        { key: sa.KubeSkippyCluster, value: this.opts.cluster },
        { key: sa.KubeSkippyPolicy, value: ref.name },
        { key: sa.KubeSkippyNamespace, value: ref.namespace },
        { key: sa.KubeSkippyMode, value: ref.spec.mode },
      ],
      staticSummary: `HealingPolicy ${ref.namespace}/${ref.name}`,
    });
    await this.opts.client.workflow.executeUpdateWithStart(updatePolicyUpdate, {
      args: [ref],
      startWorkflowOperation: start,
    });
  }

  private async onPolicyDeleted(obj: PolicyObject): Promise<void> {
    this.policies.delete(this.key(obj));
    const { namespace = 'default', name = '' } = obj.metadata ?? {};
    const id = policyWorkflowId(this.opts.cluster, namespace, name);
    try {
      await this.opts.client.workflow.getHandle(id).cancel();
      this.log.info({ workflowId: id }, 'policy deleted; workflow cancelled');
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError))
        this.log.warn({ err: (err as Error).message, workflowId: id }, 'cancel failed');
    }
  }

  /** The mirror's ports: one query per policy (no describe: a closed run rejects the query). */
  private mirrorPorts(): MirrorPorts<Tracked> {
    const query = statusQuerier(this.opts.client);
    const id = (t: Tracked): string => policyWorkflowId(this.opts.cluster, t.namespace, t.name);
    return {
      now: () => Date.now(),
      query: (t) => query(id(t)),
      restart: async (t, was) => {
        // A policy deleted while this pass ran: its cancel is what closed the run. Starting it
        // again would leave a workflow no CR ever cancels (the hostile-policy chaos run found 166).
        if (!t.ref || this.policies.get(`${t.namespace}/${t.name}`) !== t) return;
        // Someone terminated or cancelled it while the CR still exists: the CR is the truth.
        this.log.warn({ workflowId: id(t), was }, 'policy workflow not running; starting it again');
        await this.ensureWorkflow(t.ref);
      },
      statusFrom: (t, outcome, nowIso) =>
        outcome.kind === 'view'
          ? mirroredStatus({
              view: outcome.view,
              workflowId: id(t),
              generation: t.runningGeneration,
              previous: t.status,
              ...(t.invalid ? { invalid: t.invalid } : {}),
              nowIso,
            })
          : notRunningStatus({
              previous: t.status,
              message:
                outcome.kind === 'closed'
                  ? `workflow ${id(t)} is not running`
                  : `workflow ${id(t)}: ${outcome.message}`,
              nowIso,
            }),
      patch: (t, status) => this.writeStatus(t, status),
    };
  }

  private mirrorAll(): Promise<void> {
    const running = [...this.policies.values()].filter((t) => t.runningGeneration !== undefined);
    return this.mirror.pass(running, () => this.stopped);
  }

  private async patchStatus(tracked: Tracked, status: HealingPolicyStatus): Promise<void> {
    if (JSON.stringify(status) === JSON.stringify(tracked.status)) return;
    await this.writeStatus(tracked, status);
  }

  private async writeStatus(tracked: Tracked, status: HealingPolicyStatus): Promise<void> {
    await this.opts.kube.custom.patchNamespacedCustomObjectStatus(
      {
        group: GROUP,
        version: VERSION,
        namespace: tracked.namespace,
        plural: 'healingpolicies',
        name: tracked.name,
        body: { status },
      },
      mergePatch,
    );
    tracked.status = status;
  }
}
