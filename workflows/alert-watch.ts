// What a healing action hears about the alert it answers: the policy workflow signals
// alertResolved when the episode resolves. A resolved alert ends an action that has not acted yet
// (Skipped, AlertResolved) and is the evidence verification waits for.
import { setHandler } from '@temporalio/workflow';
import { ActionReason } from '../domain/action-record.js';
import type { PlannedAction } from '../domain/plan-types.js';
import type { Finish } from './action-steps.js';
import { alertResolvedSignal } from './messages.js';

export class AlertWatch {
  resolvedMs: number | undefined;
  constructor(private readonly planned: PlannedAction) {
    setHandler(alertResolvedSignal, (r) => {
      if (r.episode === planned.trigger.alert?.episode) this.resolvedMs ??= r.resolvedMs;
    });
  }

  get resolved(): boolean {
    return this.resolvedMs !== undefined;
  }

  /** How the action ends when its alert resolved before it acted; undefined while it fires. */
  ended(when: string): Finish | undefined {
    const alert = this.planned.trigger.alert;
    if (!alert || !this.resolved) return undefined;
    return {
      phase: 'Skipped',
      reason: ActionReason.AlertResolved,
      message: `alert ${alert.alertname} resolved ${when}; nothing was done`,
    };
  }
}
