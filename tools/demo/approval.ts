// The approval scenario's human part: when an action waits in AwaitingApproval, show the three
// ways to approve it, then approve it ourselves after a pause (or, with --interactive, wait for
// the person at the terminal: Enter approves, or they run one of the commands).
import { createInterface } from 'node:readline';
import type { Client } from '@temporalio/client';
import type { HealingAction } from '../../crds/healing-action.js';
import { approveActionUpdate, type ApprovalInput } from '../../workflows/messages.js';

export interface ApprovalContext {
  client: Client;
  kubeconfig: string;
  temporalAddress: string;
  temporalNamespace: string;
  interactive: boolean;
  pauseMs: number;
  say: (line: string) => void;
}

export function approvalCommands(a: HealingAction, ctx: ApprovalContext): string[] {
  const ns = a.metadata.namespace ?? 'default';
  const input = JSON.stringify({ decision: 'approve', by: 'you', comment: 'checked the pod' });
  return [
    `kubectl --kubeconfig ${ctx.kubeconfig} -n ${ns} annotate healingaction ${a.metadata.name} kubeskippy.io/approve=true`,
    `node bin/kubeskippy.js action approve ${ns}/${a.metadata.name} --temporal-address ${ctx.temporalAddress}` +
      (a.spec.cluster ? ` --cluster-name ${a.spec.cluster}` : ''),
    `temporal workflow update execute --address ${ctx.temporalAddress} --namespace ${ctx.temporalNamespace} ` +
      `--workflow-id '${a.status?.workflowId ?? '?'}' --name approveAction --input '${input}'`,
  ];
}

/** Tracks waiting actions across ticks; returns the notes to show under the live view. */
export class Approver {
  private readonly handled = new Map<string, { dueMs: number; commands: string[]; sent?: boolean }>();
  private enterPressed = false;

  constructor(private readonly ctx: ApprovalContext) {
    if (ctx.interactive) {
      const rl = createInterface({ input: process.stdin });
      rl.on('line', () => (this.enterPressed = true));
      // Do not keep the process alive for stdin alone.
      (process.stdin as { unref?: () => void }).unref?.();
    }
  }

  async tick(waiting: HealingAction[], nowMs: number): Promise<string[]> {
    const notes: string[] = [];
    for (const a of waiting) {
      const name = a.metadata.name;
      let entry = this.handled.get(name);
      if (!entry) {
        entry = { dueMs: nowMs + this.ctx.pauseMs, commands: approvalCommands(a, this.ctx) };
        this.handled.set(name, entry);
        this.ctx.say(`HealingAction ${name} is waiting for approval. Approve it with any of:`);
        for (const c of entry.commands) this.ctx.say(`    ${c}`);
        this.ctx.say(
          this.ctx.interactive
            ? '  …or press Enter to approve it from here.'
            : `  (the demo approves it itself in ${Math.round(this.ctx.pauseMs / 1000)}s)`,
        );
      }
      const due = this.ctx.interactive ? this.enterPressed : nowMs >= entry.dueMs;
      notes.push(`Waiting for approval: ${name}`, ...entry.commands.map((c) => `    ${c}`));
      notes.push(
        this.ctx.interactive
          ? '  …or press Enter to approve it from here.'
          : `  (approving it in ${Math.max(0, Math.ceil((entry.dueMs - nowMs) / 1000))}s)`,
      );
      // The CR shows AwaitingApproval for a moment after the update went through: send it once.
      if (due && !entry.sent && a.status?.workflowId) {
        entry.sent = true;
        this.enterPressed = false;
        await this.approve(a);
      }
    }
    return notes;
  }

  private async approve(a: HealingAction): Promise<void> {
    const input: ApprovalInput = {
      decision: 'approve',
      by: 'kubeskippy-demo',
      comment: this.ctx.interactive ? 'approved at the demo terminal' : 'approved by the demo after a pause',
    };
    try {
      const r = await this.ctx.client.connection.withDeadline(Date.now() + 10_000, () =>
        this.ctx.client.workflow
          .getHandle(a.status!.workflowId!)
          .executeUpdate(approveActionUpdate, { args: [input] }),
      );
      this.ctx.say(`Approved ${a.metadata.name} as ${r.approval.by}`);
    } catch (err) {
      // Someone else may have decided first: the next snapshot shows what happened.
      this.ctx.say(`Approving ${a.metadata.name} did not go through: ${(err as Error).message}`);
    }
  }
}
