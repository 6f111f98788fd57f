// The controller's side of the KubeSkippyConfig (crds/cluster-config.ts): the one named `cluster`
// feeds the cluster workflow (workflows/cluster-workflow.ts), which the policies ask before they act.
//
//   informer(KubeSkippyConfig) ── `cluster`, valid ──▶ signalWithStart(setClusterConfig)
//          │                  └─ other name / bad ──▶ status Ready=False (the field named)
//          └── `cluster` deleted ─────────────────▶ setClusterConfig(open): no switch, no budget
//   every statusInterval: query the cluster workflow ──▶ patch status (Ready, Suspended, budget used)
//
// A cluster without the CRD runs as before (no switch, no budget): the 404 is logged once a minute
// at most and the list is tried again with back-off; it does not make the operator unready.
import {
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import type { Kube } from '../../activities/kube/clients.js';
import { GROUP, VERSION } from '../../crds/api-group.js';
import {
  CLUSTER_CONFIG_NAME,
  CLUSTER_CONFIG_PLURAL,
  parseClusterConfig,
  type KubeSkippyConfigStatus,
} from '../../crds/cluster-config.js';
import { OPEN_CLUSTER, type ClusterSettings } from '../../domain/cluster-budget.js';
import { clusterWorkflowId } from '../../domain/ids.js';
import { CLUSTER_WORKFLOW, clusterStatusQuery, setClusterConfigSignal } from '../../workflows/messages.js';
import { KubeSkippyCluster } from '../../workflows/search-attributes.js';
import type { Logger } from '../logger.js';
import { clusterConfigStatus, invalidConfigStatus } from './cluster-status.js';
import { isNotFound, nextRetryDelay } from './missing-crd.js';

interface ConfigObject extends KubernetesObject {
  spec?: unknown;
  status?: KubeSkippyConfigStatus;
}

export interface ClusterConfigOptions {
  kube: Kube;
  client: Client;
  /** The operator's cluster name: the cluster workflow's KubeSkippyCluster search attribute. */
  cluster: string;
  taskQueue: string;
  logger: Logger;
  statusIntervalMs: number;
  restartDelayMs?: number;
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export class ClusterConfigWatcher {
  private readonly log: Logger;
  private readonly workflowId: string;
  private current: ConfigObject | undefined;
  private settings: ClusterSettings | undefined;
  private timer: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private retryMs: number | undefined;
  private lastLoggedMs = 0;
  private stopped = false;
  private readonly informer;

  constructor(private readonly opts: ClusterConfigOptions) {
    this.log = opts.logger.child({ component: 'cluster-config' });
    this.workflowId = clusterWorkflowId(opts.taskQueue);
    const path = `/apis/${GROUP}/${VERSION}/${CLUSTER_CONFIG_PLURAL}`;
    const list = async (): Promise<KubernetesListObject<ConfigObject>> =>
      (await opts.kube.custom.listClusterCustomObject({
        group: GROUP,
        version: VERSION,
        plural: CLUSTER_CONFIG_PLURAL,
      })) as KubernetesListObject<ConfigObject>;
    this.informer = makeInformer<ConfigObject>(opts.kube.config, path, list);
    this.informer.on('add', (o) => void this.onConfig(o));
    this.informer.on('update', (o) => void this.onConfig(o));
    this.informer.on('delete', (o) => void this.onDeleted(o));
    this.informer.on('error', (err: unknown) => this.onError(err));
  }

  async start(): Promise<void> {
    await this.informer.start().catch((err: unknown) => this.onError(err));
    this.timer = setInterval(() => void this.mirror(), this.opts.statusIntervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.retry) clearTimeout(this.retry);
    await this.informer.stop();
  }

  private onError(err: unknown): void {
    if (this.stopped) return;
    const now = Date.now();
    if (now - this.lastLoggedMs >= 60_000) {
      this.lastLoggedMs = now;
      // A missing CRD is said in words (what it means and how to install it), not as the client's
      // raw 404, as the controller says it for the HealingPolicy CRDs.
      if (isNotFound(err))
        this.log.warn(
          { resource: `kubeskippyconfigs.${GROUP}` },
          'the KubeSkippyConfig CRD is not installed: no kill switch and no cluster budget until it is ' +
            '(install it with: kubeskippy crds | kubectl apply -f -)',
        );
      else this.log.warn({ err: (err as Error)?.message }, 'KubeSkippyConfig watch failed; restarting');
    }
    const base = this.opts.restartDelayMs ?? 2000;
    this.retryMs = isNotFound(err) ? nextRetryDelay(this.retryMs, base, 30_000) : base;
    if (this.retry) clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (!this.stopped) void this.informer.start().catch((e: unknown) => this.onError(e));
    }, this.retryMs);
  }

  private async onConfig(obj: ConfigObject): Promise<void> {
    this.retryMs = undefined;
    const name = obj.metadata?.name;
    const generation = obj.metadata?.generation;
    const parsed = parseClusterConfig(name, obj.spec);
    if (!parsed.ok) {
      this.log.warn({ name, message: parsed.message }, 'invalid KubeSkippyConfig');
      await this.patch(
        obj,
        invalidConfigStatus(obj.status, parsed.message, generation, new Date().toISOString()),
      );
      return;
    }
    this.current = obj;
    const { suspended, reason, clusterBudget } = parsed.value;
    const settings: ClusterSettings = {
      suspended,
      ...(reason ? { reason } : {}),
      budget: { ...clusterBudget },
      ...(generation !== undefined ? { generation } : {}),
    };
    try {
      await this.send(settings);
      this.log.info({ suspended, budget: settings.budget, generation }, 'cluster settings in effect');
      await this.mirror();
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'could not deliver the cluster settings');
    }
  }

  private async onDeleted(obj: ConfigObject): Promise<void> {
    if (obj.metadata?.name !== CLUSTER_CONFIG_NAME) return;
    this.current = undefined;
    await this.send(OPEN_CLUSTER).catch((err: unknown) =>
      this.log.error({ err: (err as Error).message }, 'could not lift the cluster settings'),
    );
    this.log.info('KubeSkippyConfig cluster deleted: no kill switch and no cluster budget');
  }

  /** Signal-with-start: the first setting starts the cluster workflow, later ones reach it. */
  private async send(settings: ClusterSettings): Promise<void> {
    await this.opts.client.workflow.signalWithStart(CLUSTER_WORKFLOW, {
      workflowId: this.workflowId,
      taskQueue: this.opts.taskQueue,
      args: [{ settings }],
      signal: setClusterConfigSignal,
      signalArgs: [settings],
      typedSearchAttributes: [{ key: KubeSkippyCluster, value: this.opts.cluster }],
      staticSummary: 'KubeSkippy cluster: kill switch and budget',
    });
    this.settings = settings;
  }

  /** The cluster workflow's view → the CR's status (only for the `cluster` object, only on change). */
  private async mirror(): Promise<void> {
    const obj = this.current;
    if (!obj || this.stopped || !this.settings) return;
    try {
      const view = await this.opts.client.workflow.getHandle(this.workflowId).query(clusterStatusQuery);
      const status = clusterConfigStatus({
        view,
        previous: obj.status,
        generation: obj.metadata?.generation,
        workflowId: this.workflowId,
        nowIso: new Date().toISOString(),
      });
      await this.patch(obj, status);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'could not mirror the cluster status');
    }
  }

  private async patch(obj: ConfigObject, status: KubeSkippyConfigStatus): Promise<void> {
    if (JSON.stringify(status) === JSON.stringify(obj.status)) return;
    await this.opts.kube.custom
      .patchClusterCustomObjectStatus(
        {
          group: GROUP,
          version: VERSION,
          plural: CLUSTER_CONFIG_PLURAL,
          name: obj.metadata!.name!,
          body: { status },
        },
        mergePatch,
      )
      .then(() => void (obj.status = status))
      .catch((err: unknown) =>
        this.log.warn({ err: (err as Error).message }, 'could not write KubeSkippyConfig status'),
      );
  }
}
