// The live view's frame, as a pure function of what was observed and the terminal's size: never
// more lines than `rows`, never a line wider than `columns` (display columns). A frame that is
// taller than the terminal scrolls its top off and the next redraw piles up in the scrollback,
// so when the full view does not fit it says less, in this order: the actions' detail lines, the
// pods (one line per app), the blank separators, the scenario list (counts), then fewer listed
// actions (the newest, under a count per phase), and last the apps (one line).
import type { HealingAction } from '../../crds/healing-action.js';
import { ActionPhase } from '../../crds/healing-action.js';
import { truncate, wrap } from './fit.js';
import type { AppView, DemoSnapshot, PodView } from './observe.js';
import { aiText, firedText, seconds, type ScenarioResult } from './outcome.js';
import { clock } from './view.js';

export interface FrameContext {
  title: string;
  startedMs: number;
  results: ScenarioResult[];
  notes: string[];
  columns: number;
  rows: number;
}

/** How much each section says; the levels below go from everything to the least. */
interface Detail {
  actionDetails: boolean;
  pods: 'full' | 'compact' | 'line';
  blanks: boolean;
  scenarios: 'full' | 'counts';
  /** The fewest listed actions this level accepts before the next level is tried. */
  minActions: number;
}

const LEVELS: Detail[] = [
  { actionDetails: true, pods: 'full', blanks: true, scenarios: 'full', minActions: 3 },
  { actionDetails: false, pods: 'full', blanks: true, scenarios: 'full', minActions: 3 },
  { actionDetails: false, pods: 'compact', blanks: true, scenarios: 'full', minActions: 3 },
  { actionDetails: false, pods: 'compact', blanks: false, scenarios: 'full', minActions: 2 },
  { actionDetails: false, pods: 'compact', blanks: false, scenarios: 'counts', minActions: 1 },
  { actionDetails: false, pods: 'line', blanks: false, scenarios: 'counts', minActions: 0 },
];

const mi = (b: number | undefined): string => (b === undefined ? '-' : `${Math.round(b / 1048576)}Mi`);
const pct = (p: number | undefined): string => (p === undefined ? '' : `${Math.round(p)}%`);
const hot = (p: PodView): boolean =>
  (p.memPct ?? 0) > 85 || (p.cpuPct ?? 0) > 80 || p.state === 'CrashLoopBackOff';

function bar(p: number | undefined, width = 10): string {
  if (p === undefined) return ' '.repeat(width + 2);
  const filled = Math.max(0, Math.min(width, Math.round((p / 100) * width)));
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

function podLine(p: PodView, nameWidth: number, withBar: boolean): string {
  const state = `${p.state}${p.ready ? '' : ' (not ready)'}${p.lastTermination ? `, last ${p.lastTermination}` : ''}`;
  const memBar = withBar ? ` ${bar(p.memPct)}` : '';
  return (
    `    ${p.name.padEnd(nameWidth)} mem ${mi(p.memBytes).padStart(6)} ${pct(p.memPct).padStart(4)}${memBar}` +
    `  cpu ${`${p.cpuMillicores ?? '-'}m`.padStart(5)} ${pct(p.cpuPct).padStart(4)}` +
    `  restarts ${String(p.restarts).padStart(2)}  ${state}${hot(p) ? ' ⚠' : ''}`
  );
}

const counted = (items: string[]): string => {
  const counts = new Map<string, number>();
  for (const i of items) counts.set(i, (counts.get(i) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
};

/** One line per app: its pods' states, the highest memory and CPU, the restarts. */
function appLine(app: AppView): string {
  const highest = (values: (number | undefined)[]): string => {
    const known = values.filter((v): v is number => v !== undefined);
    return known.length ? pct(Math.max(...known)) : '-';
  };
  const restarts = app.pods.reduce((n, p) => n + p.restarts, 0);
  const states = app.pods.length ? counted(app.pods.map((p) => p.state)) : 'no pods';
  return (
    `  ${app.name}  ${app.readyReplicas}/${app.replicas} ready  ${states}` +
    `  mem ${highest(app.pods.map((p) => p.memPct))}  cpu ${highest(app.pods.map((p) => p.cpuPct))}` +
    `  restarts ${restarts}${app.pods.some(hot) ? ' ⚠' : ''}`
  );
}

function appsSection(snap: DemoSnapshot, d: Detail, columns: number): string[] {
  if (d.pods === 'line') {
    const pods = snap.apps.flatMap((a) => a.pods);
    const warn = pods.filter(hot).length;
    return [
      `  ${snap.apps.length} apps, ${pods.length} pods (${pods.filter((p) => p.ready).length} ready)${warn ? `, ${warn} ⚠` : ''}`,
    ];
  }
  if (d.pods === 'compact') return snap.apps.map(appLine);
  const nameWidth = Math.min(34, Math.max(0, ...snap.apps.flatMap((a) => a.pods.map((p) => p.name.length))));
  return snap.apps.flatMap((app) => [
    `  ${app.name}  ${app.readyReplicas}/${app.replicas} ready`,
    ...app.pods.map((p) => podLine(p, nameWidth, columns >= 110)),
  ]);
}

export function actionLine(a: HealingAction): string {
  const phase = a.status?.phase ?? 'Pending';
  const reason = a.status?.reason ? ` (${a.status.reason})` : '';
  const target = `${a.spec.targetResource.kind}/${a.spec.targetResource.name}`;
  return `  ${phase.padEnd(16)} ${a.metadata.name}  ${a.spec.action.type} ${target}  ← ${firedText(a)}${reason}`;
}

function actionLines(a: HealingAction, details: boolean): string[] {
  const lines = [actionLine(a)];
  if (!details) return lines;
  const msg = a.status?.message ?? a.spec.trigger?.reason;
  if (msg) lines.push(`  ${''.padEnd(16)} ${msg}`);
  if (a.status?.aiAnalysis) lines.push(`  ${''.padEnd(16)} AI ${aiText(a, 100)}`);
  return lines;
}

/**
 * The header (with counts per phase, wrapped, when not every action is listed) and the newest
 * actions that fit under it, oldest of them first.
 */
function actionsSection(
  actions: HealingAction[],
  d: Detail,
  space: { budget: number; columns: number },
): string[] | undefined {
  if (actions.length === 0)
    return ['HealingActions', '  (none yet: triggers are waiting for their `for` windows)'];
  const order = ActionPhase.options as readonly string[];
  const phases = actions
    .map((a) => a.status?.phase ?? 'Pending')
    .sort((x, y) => order.indexOf(x) - order.indexOf(y));
  const header = (listed: number): string[] =>
    listed === actions.length
      ? ['HealingActions']
      : wrap(`HealingActions: ${actions.length} (newest ${listed} below): ${counted(phases)}`, space.columns);
  const listed: string[][] = [];
  let used = header(0).length;
  for (const a of [...actions].reverse()) {
    const lines = actionLines(a, d.actionDetails);
    if (used + lines.length > space.budget) break;
    listed.unshift(lines);
    used += lines.length;
  }
  if (listed.length < Math.min(d.minActions, actions.length)) return undefined;
  return [...header(listed.length), ...listed.flat()];
}

function scenariosSection(results: ScenarioResult[], d: Detail): string[] {
  if (results.length === 0) return [];
  if (d.scenarios === 'counts') return [`Scenarios: ${counted(results.map((r) => r.status))}`];
  return [
    'Scenarios',
    ...results.map((r) => {
      const mark = { passed: '✔', failed: '✘', skipped: '–', pending: '…' }[r.status];
      const times =
        r.toActionMs === undefined
          ? ''
          : `  (trigger→action ${seconds(r.toActionMs)}, →healed ${seconds(r.toHealedMs)})`;
      return `  ${mark} ${r.scenario.name.padEnd(12)} ${r.outcome}${times}`;
    }),
  ];
}

/** The frame at one level of detail, or undefined when it does not fit at that level. */
function layout(snap: DemoSnapshot, ctx: FrameContext, d: Detail): string[] | undefined {
  const head = [`${ctx.title}   elapsed ${clock(snap.atMs - ctx.startedMs)}`];
  const apps = appsSection(snap, d, ctx.columns);
  const scenarios = scenariosSection(ctx.results, d);
  const errors =
    snap.errors.length <= 2 ? snap.errors : [...snap.errors.slice(0, 1), `${snap.errors.length - 1} more`];
  const tail = [...scenarios, ...errors.map((e) => `  ! ${e}`)];
  const notes = ctx.notes.flatMap((n) => wrap(n, ctx.columns));
  const blank = (lines: string[]): string[] => (d.blanks && lines.length > 0 ? ['', ...lines] : lines);
  const fixed = head.length + apps.length + blank(tail).length + blank(notes).length + (d.blanks ? 1 : 0);
  const actions = actionsSection(snap.actions, d, { budget: ctx.rows - fixed, columns: ctx.columns });
  if (!actions || fixed + actions.length > ctx.rows) return undefined;
  return [...head, ...apps, ...blank(actions), ...blank(tail), ...blank(notes)];
}

export function renderFrame(snap: DemoSnapshot, ctx: FrameContext): string[] {
  const rows = Math.max(1, Math.floor(ctx.rows));
  const columns = Math.max(1, Math.floor(ctx.columns));
  const sized = { ...ctx, rows, columns };
  const lines =
    LEVELS.reduce<string[] | undefined>((found, d) => found ?? layout(snap, sized, d), undefined) ??
    // Smaller than even the least: the least, cut at the bottom edge.
    (layout(snap, { ...sized, rows: Number.MAX_SAFE_INTEGER }, LEVELS.at(-1)!) ?? []).slice(0, rows);
  return lines.map((l) => truncate(l, columns));
}
