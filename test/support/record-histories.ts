// Records workflow histories of engine scenarios for the replay tests (test/replay/): at the end of
// a scenario, the policy workflow's current run and one action workflow are written as JSON to
// test/replay/histories/<scenario>-policy.json and -action.json. Only when
// KUBESKIPPY_RECORD_HISTORIES=1 (`npm run record:histories`), so ordinary runs never touch the
// committed files.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { historyToJson } from '../../tools/replay/history-json.js';
import type { Engine } from './engine-harness.js';

export const HISTORIES_DIR = join(import.meta.dirname, '..', 'replay', 'histories');

export function recordingHistories(): boolean {
  // The one test-side reader of this switch; the operator's own config never sees it.
  return process.env.KUBESKIPPY_RECORD_HISTORIES === '1';
}

export async function recordHistories(
  engine: Engine,
  scenario: string,
  ids: { policy?: string; action?: string },
): Promise<void> {
  if (!recordingHistories()) return;
  await mkdir(HISTORIES_DIR, { recursive: true });
  for (const [kind, workflowId] of Object.entries(ids)) {
    if (!workflowId) continue;
    const history = await engine.client.workflow.getHandle(workflowId).fetchHistory();
    // Proto3 JSON, read back with historyFromJson (the SDK's historyToJSON fails in this install:
    // see tools/replay/history-json.ts).
    const json = JSON.stringify(historyToJson(history), null, 1);
    await writeFile(join(HISTORIES_DIR, `${scenario}-${kind}.json`), json + '\n');
  }
}
