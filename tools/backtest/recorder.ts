// `kubeskippy record`: collects what the policy workflow would see, on the workflow's rhythm.
// The same `collectSnapshot` code and the same `snapshotRequest(policy)` as the activity, and the
// same loop shape as policyWorkflow: collect at once, then wait the interval after each
// collection (so the period is interval + collection time, as in the workflow).
import { appendFile, writeFile } from 'node:fs/promises';
import { collectSnapshot, type CollectOptions } from '../../activities/snapshot/collect.js';
import type { Kube } from '../../activities/kube/clients.js';
import type { LabelSelector } from '../../crds/common.js';
import { snapshotRequest, type SnapshotRequest } from '../../domain/targets.js';
import type { PolicyFile } from './policy-file.js';
import { timelineLine, type TimelineEntry, type TimelineHeader } from './timeline.js';

/** Pods picked by a label selector, without a policy: collect everything a policy could use. */
export interface Selection {
  namespaces: string[];
  labelSelector?: LabelSelector;
  /** The selector as the user wrote it, for the header. */
  text: string;
}

/** Events this far back are kept in every snapshot of a selector recording. */
export const SELECTION_EVENT_LOOKBACK_MS = 15 * 60_000;
export const SELECTION_DEFAULT_INTERVAL_MS = 10_000;

export interface RecordOptions {
  kube: Kube;
  /** Record what this policy's workflow would see (its selector and what its triggers need)... */
  policy?: PolicyFile;
  /** ...or pods picked by a selector: usage, restarts, conditions and 15 minutes of Events. */
  selection?: Selection;
  out: string;
  /** Default: the policy's evaluationInterval (10s for a selection). */
  intervalMs?: number;
  durationMs: number;
  collect?: CollectOptions;
  /** Stops the recording early (Ctrl-C); the file stays complete up to the last line. */
  signal?: AbortSignal;
  onEntry?: (entry: TimelineEntry) => void;
}

export interface RecordResult {
  snapshots: number;
  errors: number;
  /** Largest gap between two consecutive collections: the timing resolution of the timeline. */
  maxGapMs: number;
}

/** What to collect, and the header's name for it. */
function source(opts: RecordOptions): { name: string; request: SnapshotRequest; intervalMs: number } {
  const { policy, selection } = opts;
  if (policy && !selection)
    return {
      name: `${policy.namespace}/${policy.name}`,
      request: snapshotRequest(policy.policy),
      intervalMs: opts.intervalMs ?? policy.policy.evaluationIntervalMs,
    };
  if (selection && !policy)
    return {
      name: `selector ${selection.namespaces.join(',')}: ${selection.text || '(all pods)'}`,
      request: {
        namespaces: [...selection.namespaces],
        ...(selection.labelSelector ? { labelSelector: selection.labelSelector } : {}),
        kinds: ['Pod'],
        needUsage: true,
        promQueries: [],
        eventLookbackMs: SELECTION_EVENT_LOOKBACK_MS,
      },
      intervalMs: opts.intervalMs ?? SELECTION_DEFAULT_INTERVAL_MS,
    };
  throw new Error('record either a policy or a selection');
}

export async function recordTimeline(opts: RecordOptions): Promise<RecordResult> {
  const { name, request, intervalMs } = source(opts);
  const header: TimelineHeader = {
    kind: 'header',
    version: 1,
    policy: name,
    request,
    intervalMs,
    startedAtMs: Date.now(),
  };
  await writeFile(opts.out, timelineLine(header));
  const deadline = header.startedAtMs + opts.durationMs;
  const result: RecordResult = { snapshots: 0, errors: 0, maxGapMs: 0 };
  let previous: number | undefined;
  while (!opts.signal?.aborted) {
    const at = Date.now();
    let entry: TimelineEntry;
    try {
      entry = { kind: 'snapshot', snapshot: await collectSnapshot(opts.kube, header.request, opts.collect) };
      result.snapshots += 1;
    } catch (err) {
      entry = { kind: 'error', atMs: at, message: (err as Error).message };
      result.errors += 1;
    }
    await appendFile(opts.out, timelineLine(entry));
    opts.onEntry?.(entry);
    if (previous !== undefined) result.maxGapMs = Math.max(result.maxGapMs, at - previous);
    previous = at;
    if (Date.now() + intervalMs > deadline) break;
    await sleep(intervalMs, opts.signal);
  }
  return result;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
