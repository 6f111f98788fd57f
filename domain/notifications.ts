// Notifications about one incident (one HealingAction), pure so the workflow, the activity and the
// tests share them: which message a phase calls for, the JSON body, the Slack text, the approve
// commands, and the Secret's keys.
//
//   phase:   (AwaitingApproval | Executing) ──▶ Executing, Verifying ──▶ terminal
//   JSON:          opened (seq 1)                 updated (seq 2, 3…)     resolved
//   Slack:         opened                          —                      resolved
//
// A Slack incoming webhook cannot edit a message it posted, so Slack gets two messages per
// incident (one when it does not open before its end), never one per phase. The JSON webhook gets
// every step with the same incidentId and a rising sequence, so a receiver updates one record.
import type { ActionPhase, BlastRadiusRecord, HealingActionStatus } from '../crds/healing-action.js';
import type { PlannedAction } from './plan-types.js';

/** The phases that can start a notification (crds/policy-notifications.ts `on`). */
export const NOTIFY_PHASES = [
  'AwaitingApproval',
  'Executing',
  'Verifying',
  'Succeeded',
  'Failed',
  'Rejected',
  'Skipped',
  'DryRun',
] as const;

export type NotificationEvent = 'opened' | 'updated' | 'resolved';
export type NotificationChannel = 'slack' | 'webhook';

const TERMINAL: readonly string[] = ['Succeeded', 'Failed', 'Rejected', 'Skipped', 'DryRun'];

/** What has been told so far about an incident. */
export interface NotifyProgress {
  opened: boolean;
  resolved: boolean;
}

/**
 * The message a phase calls for, and who gets it; undefined for none. `on` picks the phases that
 * start the conversation; once started, every later phase is told (JSON) and so is the end (both).
 */
export function messageFor(
  phase: ActionPhase,
  on: readonly string[],
  progress: NotifyProgress,
): { event: NotificationEvent; channels: NotificationChannel[] } | undefined {
  if (progress.resolved || phase === 'Pending') return undefined;
  const both: NotificationChannel[] = ['slack', 'webhook'];
  if (TERMINAL.includes(phase))
    return progress.opened || on.includes(phase) ? { event: 'resolved', channels: both } : undefined;
  if (progress.opened) return { event: 'updated', channels: ['webhook'] };
  return on.includes(phase) ? { event: 'opened', channels: both } : undefined;
}

export interface ApproveCommands {
  approve: string[];
  reject: string[];
}

/** The three ways to decide (README "Operating it"), each ready to paste. */
export function approveCommands(a: {
  /** The operator's cluster: the CLI finds the action only among that cluster's workflows. */
  cluster?: string;
  namespace: string;
  healingActionName: string;
  workflowId: string;
}): ApproveCommands {
  const cmds = (decision: 'approve' | 'reject'): string[] => [
    `kubectl annotate healingaction -n ${a.namespace} ${a.healingActionName} kubeskippy.io/approve=${decision === 'approve' ? 'true' : 'reject'}`,
    `kubeskippy action ${decision} ${a.namespace}/${a.healingActionName}${a.cluster !== undefined ? ` --cluster-name ${a.cluster}` : ''}`,
    `temporal workflow update execute --workflow-id ${a.workflowId} --name approveAction --input '{"decision":"${decision}","by":"YOUR-NAME"}'`,
  ];
  return { approve: cmds('approve'), reject: cmds('reject') };
}

/** The JSON webhook's body; every post of one incident has the same incidentId. */
export interface IncidentNotice {
  incidentId: string;
  sequence: number;
  event: NotificationEvent;
  at: string;
  phase: ActionPhase;
  reason?: string;
  message?: string;
  policy: { namespace: string; name: string };
  healingAction: { namespace: string; name: string };
  target: { kind: string; namespace: string; name: string };
  trigger: { name: string; type: string; reason: string; observedValue?: string; threshold?: string };
  action: { name: string; type: string };
  mode: string;
  dryRun: boolean;
  /** What the action takes out of service (status.blastRadius), once its safety check has run. */
  blastRadius?: BlastRadiusRecord;
  /** While it waits for a person: the deadline and the commands that decide. */
  approval?: { expiresAt?: string; commands: ApproveCommands };
  /** At the end: whether it healed, and the figures before acting and after verification. */
  outcome?: { success: boolean; before: Record<string, string>; after: Record<string, string> };
  workflowUrl?: string;
}

export function incidentNotice(
  planned: PlannedAction,
  status: HealingActionStatus,
  o: { event: NotificationEvent; sequence: number; nowMs: number; workflowId: string },
): IncidentNotice {
  const ns = planned.policyRef.namespace;
  const t = planned.trigger;
  const phase = status.phase ?? 'Pending';
  const r = status.result;
  return {
    incidentId: o.workflowId,
    sequence: o.sequence,
    event: o.event,
    at: new Date(o.nowMs).toISOString(),
    phase,
    ...(status.reason ? { reason: status.reason } : {}),
    ...(status.message ? { message: status.message } : {}),
    policy: { namespace: ns, name: planned.policyRef.name },
    healingAction: { namespace: ns, name: planned.healingActionName },
    target: { kind: planned.target.kind, namespace: planned.target.namespace, name: planned.target.name },
    trigger: {
      name: t.name,
      type: t.type,
      reason: t.reason,
      ...(t.observedValue !== undefined ? { observedValue: t.observedValue } : {}),
      ...(t.threshold !== undefined ? { threshold: t.threshold } : {}),
    },
    action: { name: planned.action.name, type: planned.action.type },
    mode: planned.mode,
    dryRun: planned.dryRun,
    ...(status.blastRadius ? { blastRadius: status.blastRadius } : {}),
    ...(phase === 'AwaitingApproval'
      ? {
          approval: {
            ...(status.approval?.expiresAt ? { expiresAt: status.approval.expiresAt } : {}),
            commands: approveCommands({
              ...(planned.cluster !== undefined ? { cluster: planned.cluster } : {}),
              namespace: ns,
              healingActionName: planned.healingActionName,
              workflowId: o.workflowId,
            }),
          },
        }
      : {}),
    ...(o.event === 'resolved'
      ? { outcome: { success: r?.success ?? false, before: r?.before ?? {}, after: r?.after ?? {} } }
      : {}),
  };
}

const figures = (m: Record<string, string>): string =>
  Object.entries(m)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || '—';

/** The Slack message (incoming webhooks take `{text}` in mrkdwn): one at the start, one at the end. */
export function slackMessage(n: IncidentNotice): { text: string } {
  const what = `${n.action.type} \`${n.action.name}\` on ${n.target.kind} \`${n.target.namespace}/${n.target.name}\``;
  const head = `*${n.policy.namespace}/${n.policy.name}*: ${n.trigger.name} (${n.trigger.reason})`;
  const lines = [head];
  if (n.event === 'resolved') {
    lines.push(`${what} ended *${n.phase}*${n.reason ? ` (${n.reason})` : ''}: ${n.message ?? ''}`);
    if (n.outcome) lines.push(`before: ${figures(n.outcome.before)}`, `after: ${figures(n.outcome.after)}`);
  } else if (n.approval) {
    const until = n.approval.expiresAt ? ` (until ${n.approval.expiresAt})` : '';
    lines.push(`${what} *waits for approval*${until}. Approve with one of:`);
    lines.push(...n.approval.commands.approve.map((c) => `\`${c}\``));
    lines.push(`or reject: \`${n.approval.commands.reject[1]}\``);
  } else {
    lines.push(`${what} is *${n.phase}*${n.dryRun ? ' (dry run)' : ''}: ${n.message ?? ''}`);
  }
  if (n.blastRadius) lines.push(`blast radius: ${n.blastRadius.summary}`);
  lines.push(`HealingAction \`${n.healingAction.namespace}/${n.healingAction.name}\``);
  if (n.workflowUrl) lines.push(`<${n.workflowUrl}|workflow>`);
  return { text: lines.join('\n') };
}

/** The keys a notification Secret may hold. */
export const SECRET_KEYS = {
  slack: 'slackWebhookUrl',
  webhook: 'webhookUrl',
  token: 'token',
} as const;

export interface NotificationEndpoints {
  slackWebhookUrl?: string;
  webhookUrl?: string;
  /** Bearer token for webhookUrl. */
  token?: string;
}

export type ParsedSecret = { ok: true; endpoints: NotificationEndpoints } | { ok: false; message: string };

/** The Secret's decoded data as endpoints, or why not, naming the Secret and the key. */
export function parseNotificationSecret(
  secret: string,
  data: Record<string, string | undefined>,
): ParsedSecret {
  const value = (key: string): string | undefined => data[key]?.trim() || undefined;
  const endpoints: NotificationEndpoints = {};
  for (const key of [SECRET_KEYS.slack, SECRET_KEYS.webhook] as const) {
    const url = value(key);
    if (url === undefined) continue;
    if (!/^https?:\/\/[^/\s]+/.test(url) || /\s/.test(url))
      return { ok: false, message: `Secret ${secret}: key ${key} must be an http:// or https:// URL` };
    endpoints[key] = url;
  }
  if (!endpoints.slackWebhookUrl && !endpoints.webhookUrl)
    return {
      ok: false,
      message: `Secret ${secret} has no key ${SECRET_KEYS.slack} or ${SECRET_KEYS.webhook}: set one (or both)`,
    };
  const token = value(SECRET_KEYS.token);
  if (token !== undefined) {
    if (!endpoints.webhookUrl)
      return {
        ok: false,
        message: `Secret ${secret}: key ${SECRET_KEYS.token} is the bearer for ${SECRET_KEYS.webhook}, which is missing`,
      };
    endpoints.token = token;
  }
  return { ok: true, endpoints };
}

/** The receiver's key for one post: a retry of it carries the same key, the next post another. */
export const idempotencyKey = (n: Pick<IncidentNotice, 'incidentId' | 'sequence'>): string =>
  `${n.incidentId}#${n.sequence}`;
