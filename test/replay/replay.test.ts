// CI's determinism guard: every committed workflow history (test/replay/histories/, recorded from
// the engine scenarios with `npm run record:histories`) must replay against today's workflow code.
// A DeterminismViolationError here means a change would break workflows already running in a
// cluster: guard it with patched(), or re-record the histories if no old run can exist (README,
// "Replaying incidents").
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { historyFromJson, type History } from '../../tools/replay/history-json.js';
import { bundleWorkflows, replayHistory, replaySinks } from '../../tools/replay/replay.js';
import { TRACING_WORKFLOW_MODULES, startTracing } from '../../operator/tracing.js';
import { WORKFLOWS_PATH } from '../../operator/worker.js';
import { startOtlpReceiver } from '../support/otlp-receiver.js';
import { HISTORIES_DIR } from '../support/record-histories.js';
import { installQuietRuntime } from '../support/temporal.js';

const files = readdirSync(HISTORIES_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
const noop = (): void => undefined;
const quiet = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };
const load = (file: string): History =>
  historyFromJson(JSON.parse(readFileSync(join(HISTORIES_DIR, file), 'utf8')));

let today: { code: string };
beforeAll(async () => {
  installQuietRuntime();
  today = await bundleWorkflows();
});

describe('committed histories replay against today’s workflow code', () => {
  it('has histories of policy and healing-action workflows to replay', () => {
    expect(files.some((f) => f.endsWith('-policy.json'))).toBe(true);
    expect(files.some((f) => f.endsWith('-action.json'))).toBe(true);
  });

  it('replays every history with Worker.runReplayHistories and no DeterminismViolationError', async () => {
    const histories = files.map((file) => ({ workflowId: file, history: load(file) }));
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories(
      { workflowBundle: today, sinks: replaySinks },
      histories,
    )) {
      replayed += 1;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.name}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(files.length);
  });
});

describe('with tracing on', () => {
  // Turning OTEL_EXPORTER_OTLP_ENDPOINT on makes a worker replay its running workflows with the
  // OpenTelemetry interceptors and the tick's spans (workflows/tracing.ts): no command may change.
  it('replays every history with the workflow interceptors bundled and the plugin on the worker', async () => {
    const traced = await bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      workflowInterceptorModules: TRACING_WORKFLOW_MODULES,
      logger: quiet,
    });
    const receiver = await startOtlpReceiver();
    const tracing = startTracing({ tracesUrl: `${receiver.url}/v1/traces`, serviceName: 'replay' });
    const failures: string[] = [];
    let replayed = 0;
    try {
      const histories = files.map((file) => ({ workflowId: file, history: load(file) }));
      for await (const result of Worker.runReplayHistories(
        { workflowBundle: traced, sinks: replaySinks, plugins: [tracing.plugin] },
        histories,
      )) {
        replayed += 1;
        if (result.error)
          failures.push(`${result.workflowId}: ${result.error.name}: ${result.error.message}`);
      }
    } finally {
      await tracing.shutdown();
      await receiver.close();
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(files.length);
  });
});

describe('the guard', () => {
  const policyFiles = files.filter((f) => f.endsWith('-policy.json'));

  it('rejects every policy history when the workflow issues a different first command', async () => {
    const changed = await bundleWorkflows(join(import.meta.dirname, 'fixtures', 'changed-workflows.ts'));
    for (const file of policyFiles) {
      const verdict = await replayHistory({ history: load(file), workflowId: file, bundle: changed });
      expect(verdict, file).toMatchObject({ same: false, broken: false });
      expect(verdict.summary).toMatch(/^DIFFERENT: today's code would NOT make the same decisions/);
    }
  });

  it('rejects a tampered history: an activity the code never schedules', async () => {
    const file = policyFiles[0]!;
    const json = JSON.parse(readFileSync(join(HISTORIES_DIR, file), 'utf8')) as {
      events: { activityTaskScheduledEventAttributes?: { activityType?: { name: string } } }[];
    };
    const scheduled = json.events.find((e) => e.activityTaskScheduledEventAttributes);
    scheduled!.activityTaskScheduledEventAttributes!.activityType = { name: 'deleteEverything' };
    const verdict = await replayHistory({ history: historyFromJson(json), workflowId: file, bundle: today });
    expect(verdict).toMatchObject({ same: false, broken: false });
    expect(verdict.summary).toContain('deleteEverything');
  });
});
