// Replays one recorded workflow history against the workflow code installed here, and says in
// words whether today's code makes the same decisions. A replay runs the workflow function with
// every activity result, signal, update and timer taken from the history; Temporal compares each
// command the code issues (schedule this activity, start that child, set this timer) with what the
// history recorded. Any difference is a DeterminismViolationError: today's code would have acted
// differently at that point.
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../operator/worker.js';
import type { History } from './history-json.js';

export interface HistoryInfo {
  workflowType: string;
  events: number;
  startedAt?: string;
  lastEventAt?: string;
}

export interface ReplayVerdict {
  same: boolean;
  /** True when replay itself could not run (not a determinism question). */
  broken: boolean;
  workflowId: string;
  info: HistoryInfo;
  /** Plain words: what the replay found. */
  summary: string;
  /** The SDK's own message, for the bug report. */
  detail?: string;
}

const noop = (): void => undefined;
const quiet = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };

/** The workflows' metrics sink, as no-ops: replay never calls it, but the worker wants it registered. */
export const replaySinks = {
  kubeskippy: {
    evaluated: { fn: noop },
    actionExecuting: { fn: noop },
    actionFinished: { fn: noop },
  },
};

/** Bundling takes a few seconds: do it once and pass the bundle to every replay. */
export function bundleWorkflows(workflowsPath: string = WORKFLOWS_PATH): Promise<{ code: string }> {
  return bundleWorkflowCode({ workflowsPath, logger: quiet });
}

export function historyInfo(history: History): HistoryInfo {
  const events = history.events ?? [];
  const first = events[0];
  const time = (e: (typeof events)[number] | undefined): string | undefined => {
    const seconds = e?.eventTime?.seconds;
    return seconds === undefined || seconds === null
      ? undefined
      : new Date(Number(seconds) * 1000).toISOString();
  };
  const startedAt = time(first);
  const lastEventAt = time(events[events.length - 1]);
  return {
    workflowType: first?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? 'unknown',
    events: events.length,
    ...(startedAt ? { startedAt } : {}),
    ...(lastEventAt ? { lastEventAt } : {}),
  };
}

/** The core's "[TMPRL1100] Nondeterminism error: ..." sentence, without the Rust debug wrapping. */
export function nondeterminismDetail(message: string): string {
  const m = /Nondeterminism error:\s*(.*?)(?:",|"\s*\}|$)/s.exec(message);
  return (m?.[1] ?? message).replace(/\\"/g, '"').trim();
}

export async function replayHistory(opts: {
  history: History;
  workflowId: string;
  bundle: { code: string };
}): Promise<ReplayVerdict> {
  const info = historyInfo(opts.history);
  const base = { workflowId: opts.workflowId, info };
  try {
    await Worker.runReplayHistory(
      { workflowBundle: opts.bundle, replayName: 'kubeskippy-replay', sinks: replaySinks },
      opts.history,
      opts.workflowId,
    );
    return {
      ...base,
      same: true,
      broken: false,
      summary:
        `SAME: today's code makes the same decisions as the recorded ${info.workflowType} ` +
        `${opts.workflowId} (${info.events} events replayed without a difference).`,
    };
  } catch (err) {
    const e = err as Error;
    if (e.name === 'DeterminismViolationError') {
      const detail = nondeterminismDetail(e.message);
      return {
        ...base,
        same: false,
        broken: false,
        summary:
          `DIFFERENT: today's code would NOT make the same decisions as the recorded ${info.workflowType} ` +
          `${opts.workflowId}. Replaying its ${info.events} events, the code asked for a different step ` +
          `than the one the history records: ${detail}. ` +
          'Runs started by the old code would fail their next workflow task after an upgrade; guard the ' +
          'change with patched() (README, "Replaying incidents") or re-record the histories if it is meant.',
        detail: e.message,
      };
    }
    return {
      ...base,
      same: false,
      broken: true,
      summary: `could not replay ${opts.workflowId} (${info.workflowType}): ${e.message}`,
      detail: e.stack ?? e.message,
    };
  }
}
