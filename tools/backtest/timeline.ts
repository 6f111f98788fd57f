// The timeline file: what the policy workflow would have seen, one JSON object per line.
//
//   {"kind":"header","version":1,"policy":"ns/name","request":{...SnapshotRequest},"intervalMs":5000,"startedAtMs":...}
//   {"kind":"snapshot","snapshot":{...ClusterSnapshot}}      one per collection, oldest first
//   {"kind":"error","atMs":...,"message":"..."}              a collection that failed (the
//                                                            workflow evaluates nothing then)
//
// JSON lines, so a recording cut short (Ctrl-C, a crash) is still readable up to its last line,
// and `tail -f` shows it growing. The clock of a backtest is each snapshot's observedAtMs.
import { readFile } from 'node:fs/promises';
import type { ClusterSnapshot } from '../../domain/snapshot.js';
import type { SnapshotRequest } from '../../domain/targets.js';

export interface TimelineHeader {
  kind: 'header';
  version: 1;
  /** `<namespace>/<name>` of the policy whose selector and triggers defined the request. */
  policy: string;
  request: SnapshotRequest;
  intervalMs: number;
  startedAtMs: number;
}

export type TimelineEntry =
  { kind: 'snapshot'; snapshot: ClusterSnapshot } | { kind: 'error'; atMs: number; message: string };

export interface Timeline {
  header: TimelineHeader;
  entries: TimelineEntry[];
}

export class TimelineError extends Error {
  override name = 'TimelineError';
}

export function timelineLine(line: TimelineHeader | TimelineEntry): string {
  return JSON.stringify(line) + '\n';
}

/** Parses a timeline; a torn last line (the recorder was killed mid-write) is dropped. */
export function parseTimeline(text: string, file = 'timeline'): Timeline {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  let header: TimelineHeader | undefined;
  const entries: TimelineEntry[] = [];
  lines.forEach((line, i) => {
    let obj: { kind?: string };
    try {
      obj = JSON.parse(line) as { kind?: string };
    } catch {
      if (i === lines.length - 1) return;
      throw new TimelineError(`${file}:${i + 1}: not JSON`);
    }
    if (obj.kind === 'header') header = obj as TimelineHeader;
    else if (obj.kind === 'snapshot' || obj.kind === 'error') entries.push(obj as TimelineEntry);
    else throw new TimelineError(`${file}:${i + 1}: unknown line kind "${String(obj.kind)}"`);
  });
  if (!header) throw new TimelineError(`${file}: no header line (is it a kubeskippy record timeline?)`);
  if (header.version !== 1) throw new TimelineError(`${file}: timeline version ${header.version} unknown`);
  entries.sort((a, b) => entryTime(a) - entryTime(b));
  return { header, entries };
}

export function entryTime(e: TimelineEntry): number {
  return e.kind === 'snapshot' ? e.snapshot.observedAtMs : e.atMs;
}

export async function readTimeline(file: string): Promise<Timeline> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new TimelineError(`cannot read timeline ${file}: ${(err as Error).message}`);
  }
  return parseTimeline(text, file);
}
