// Prints backtest reports: one table per policy, and a side-by-side comparison when there are
// two or more (the same timeline, so the rows line up by time and target).
import { formatDuration } from '../../domain/duration.js';
import { table } from '../cli/format.js';
import type { BacktestReport, BacktestRow } from './engine.js';
import type { Timeline } from './timeline.js';

export interface BacktestOutput {
  timeline: {
    file: string;
    policy: string;
    fromMs: number;
    toMs: number;
    snapshots: number;
    errors: number;
    intervalMs: number;
  };
  reports: BacktestReport[];
}

export function describeTimeline(file: string, timeline: Timeline): BacktestOutput['timeline'] {
  const times = timeline.entries.map((e) => (e.kind === 'snapshot' ? e.snapshot.observedAtMs : e.atMs));
  return {
    file,
    policy: timeline.header.policy,
    fromMs: times[0] ?? timeline.header.startedAtMs,
    toMs: times[times.length - 1] ?? timeline.header.startedAtMs,
    snapshots: timeline.entries.filter((e) => e.kind === 'snapshot').length,
    errors: timeline.entries.filter((e) => e.kind === 'error').length,
    intervalMs: timeline.header.intervalMs,
  };
}

/** `+mm:ss` from the start of the timeline: easier to compare than wall-clock times. */
function offset(ms: number, fromMs: number): string {
  const s = Math.max(0, Math.round((ms - fromMs) / 1000));
  return `+${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

const KIND: Record<BacktestRow['kind'], string> = {
  action: 'ACTION',
  refused: 'REFUSED',
  pending: 'PENDING',
  closed: 'CLOSED',
  'no-snapshot': 'NO-SNAPSHOT',
};

function what(row: BacktestRow, fromMs: number): string {
  const target =
    row.actionTargetKey && row.actionTargetKey !== row.targetKey ? ` → ${row.actionTargetKey}` : '';
  const times =
    row.count && row.count > 1 ? ` ×${row.count} until ${offset(row.untilMs ?? row.atMs, fromMs)}` : '';
  if (row.kind === 'action') return `${row.action}${target}`;
  if (row.kind === 'closed') return `${row.action} on ${row.actionTargetKey}: ${row.reason}`;
  return `${row.reason ?? ''}${times}`;
}

export function formatReport(report: BacktestReport, fromMs: number): string {
  const s = report.summary;
  const refusals = Object.entries(s.refusals).map(([r, n]) => `${r} ${n}`);
  const lines = [
    `Policy ${report.policy} (${report.file}, mode ${report.mode}): ${s.evaluations} evaluations, ` +
      `${s.fires} fires, ${s.actions} actions, refusals: ${refusals.join(', ') || 'none'}`,
  ];
  const rows = report.rows.map((r) => [
    offset(r.atMs, fromMs),
    new Date(r.atMs).toISOString(),
    KIND[r.kind],
    r.trigger ?? '-',
    r.targetKey ?? '-',
    what(r, fromMs),
    r.message,
  ]);
  lines.push(table(['T', 'TIME', 'EVENT', 'TRIGGER', 'TARGET', 'ACTION / REASON', 'DETAIL'], rows));
  return lines.join('\n');
}

/** One row per (trigger, target): each policy's actions there, as +mm:ss times. */
export function formatComparison(reports: BacktestReport[], fromMs: number): string {
  const keys = new Map<string, { trigger: string; target: string }>();
  for (const r of reports)
    for (const row of r.rows)
      if (row.kind === 'action' || row.kind === 'refused')
        keys.set(`${row.trigger}|${row.targetKey}`, { trigger: row.trigger!, target: row.targetKey! });
  const cell = (r: BacktestReport, key: string): string => {
    const acts = r.rows.filter((x) => x.kind === 'action' && `${x.trigger}|${x.targetKey}` === key);
    if (acts.length) return acts.map((a) => `${a.action}@${offset(a.atMs, fromMs)}`).join(', ');
    const refused = r.rows.find((x) => x.kind === 'refused' && `${x.trigger}|${x.targetKey}` === key);
    return refused ? `refused (${refused.reason})` : '-';
  };
  const rows = [...keys].map(([key, k]) => [k.trigger, k.target, ...reports.map((r) => cell(r, key))]);
  const totals = ['(actions)', '', ...reports.map((r) => String(r.summary.actions))];
  return table(['TRIGGER', 'TARGET', ...reports.map((r) => r.policy + ` [${r.file}]`)], [...rows, totals]);
}

export function formatOutput(out: BacktestOutput): string {
  const t = out.timeline;
  const parts = [
    `Timeline ${t.file} (recorded for ${t.policy}): ${t.snapshots} snapshots, ${t.errors} failed collections, ` +
      `${new Date(t.fromMs).toISOString()} → ${new Date(t.toMs).toISOString()} ` +
      `(${formatDuration(t.toMs - t.fromMs)}), interval ${formatDuration(t.intervalMs)}`,
    `Assumption: ${out.reports[0]?.assumption ?? '-'}`,
    '',
    ...out.reports.map((r) => formatReport(r, t.fromMs)),
  ];
  if (out.reports.length > 1) parts.push('Side by side:', formatComparison(out.reports, t.fromMs));
  return parts.join('\n');
}
