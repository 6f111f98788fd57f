// Where a history to replay comes from: a file (proto3 JSON, as `temporal workflow show
// --output json`, the Web UI or `kubeskippy incident export` write it), an export directory, or
// the Temporal server.
import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Client } from '@temporalio/client';
import { historyFromJson, type History } from './history-json.js';

export interface LoadedHistory {
  history: History;
  workflowId: string;
  runId?: string;
  /** Where it came from, for messages. */
  source: string;
}

/** What `incident export` writes next to history.json. */
export interface IncidentManifest {
  workflowId: string;
  runId?: string;
  workflowType: string;
  exportedAt: string;
}

export const HISTORY_FILE = 'history.json';
export const MANIFEST_FILE = 'incident.json';

export async function loadHistoryFile(path: string): Promise<LoadedHistory> {
  const isDir = (await stat(path)).isDirectory();
  const file = isDir ? join(path, HISTORY_FILE) : path;
  const json = JSON.parse(await readFile(file, 'utf8')) as unknown;
  const history = historyFromJson(json);
  let manifest: Partial<IncidentManifest> = {};
  if (isDir) {
    manifest = JSON.parse(
      await readFile(join(path, MANIFEST_FILE), 'utf8').catch(() => '{}'),
    ) as IncidentManifest;
  }
  return {
    history,
    // The history itself does not carry the workflow id; replay only uses it in messages.
    workflowId: manifest.workflowId ?? basename(file),
    ...(manifest.runId ? { runId: manifest.runId } : {}),
    source: file,
  };
}

export async function fetchHistory(
  client: Client,
  workflowId: string,
  runId?: string,
): Promise<LoadedHistory> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  return {
    history,
    workflowId,
    ...(runId ? { runId } : {}),
    source: `${workflowId}${runId ? ` (run ${runId})` : ''} on the server`,
  };
}
