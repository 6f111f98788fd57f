// What the demo prints. On a terminal: one frame, redrawn in place (apps and pods on top, the
// HealingActions below, scenario verdicts and notes at the bottom). Elsewhere (CI, tests, a log
// file): plain lines, one per change worth telling, so the output reads as a timeline.
import type { HealingAction } from '../../crds/healing-action.js';
import { ROUTINE_REFUSALS, type DemoSnapshot, type PodView } from './observe.js';
import { aiText, firedText, seconds, type ScenarioResult } from './outcome.js';

export interface FrameContext {
  title: string;
  startedMs: number;
  results: ScenarioResult[];
  notes: string[];
  width: number;
}

const mi = (b: number | undefined): string => (b === undefined ? '-' : `${Math.round(b / 1048576)}Mi`);
const pct = (p: number | undefined): string => (p === undefined ? '' : `${Math.round(p)}%`);

export function clock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

function bar(p: number | undefined, width = 10): string {
  if (p === undefined) return ' '.repeat(width + 2);
  const filled = Math.max(0, Math.min(width, Math.round((p / 100) * width)));
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

function podLine(p: PodView): string {
  const warn = (p.memPct ?? 0) > 85 || (p.cpuPct ?? 0) > 80 || p.state === 'CrashLoopBackOff' ? ' ⚠' : '';
  const state = `${p.state}${p.ready ? '' : ' (not ready)'}${p.lastTermination ? `, last ${p.lastTermination}` : ''}`;
  return (
    `    ${p.name.padEnd(34)} mem ${mi(p.memBytes).padStart(6)} ${pct(p.memPct).padStart(4)} ${bar(p.memPct)}` +
    `  cpu ${`${p.cpuMillicores ?? '-'}m`.padStart(5)} ${pct(p.cpuPct).padStart(4)}  restarts ${String(p.restarts).padStart(2)}  ${state}${warn}`
  );
}

export function actionLine(a: HealingAction): string {
  const phase = a.status?.phase ?? 'Pending';
  const reason = a.status?.reason ? ` (${a.status.reason})` : '';
  const target = `${a.spec.targetResource.kind}/${a.spec.targetResource.name}`;
  return `  ${phase.padEnd(16)} ${a.metadata.name}  ${a.spec.action.type} ${target}  ← ${firedText(a)}${reason}`;
}

export function renderFrame(snap: DemoSnapshot, ctx: FrameContext): string[] {
  const lines = [`${ctx.title}   elapsed ${clock(snap.atMs - ctx.startedMs)}`, ''];
  for (const app of snap.apps) {
    lines.push(`  ${app.name}  ${app.readyReplicas}/${app.replicas} ready`);
    for (const p of app.pods) lines.push(podLine(p));
  }
  lines.push('', 'HealingActions');
  if (snap.actions.length === 0) lines.push('  (none yet: triggers are waiting for their `for` windows)');
  for (const a of snap.actions.slice(-12)) {
    lines.push(actionLine(a));
    const msg = a.status?.message ?? a.spec.trigger?.reason;
    if (msg) lines.push(`  ${''.padEnd(16)} ${msg}`);
    if (a.status?.aiAnalysis) lines.push(`  ${''.padEnd(16)} AI ${aiText(a, 100)}`);
  }
  lines.push('', 'Scenarios');
  for (const r of ctx.results) {
    const mark = { passed: '✔', failed: '✘', skipped: '–', pending: '…' }[r.status];
    const times =
      r.toActionMs === undefined
        ? ''
        : `  (trigger→action ${seconds(r.toActionMs)}, →healed ${seconds(r.toHealedMs)})`;
    lines.push(`  ${mark} ${r.scenario.name.padEnd(12)} ${r.outcome}${times}`);
  }
  for (const e of snap.errors) lines.push(`  ! ${e}`);
  if (ctx.notes.length > 0) lines.push('', ...ctx.notes);
  return lines.map((l) => (l.length > ctx.width ? `${l.slice(0, ctx.width - 1)}…` : l));
}

/** Redraws in place: cursor home, each line cleared to its end, the rest of the screen cleared. */
export function drawFrame(out: NodeJS.WriteStream, lines: string[]): void {
  out.write(`\x1b[H${lines.map((l) => `${l}\x1b[K`).join('\n')}\n\x1b[J`);
}

/** Plain-text narration: what changed between two snapshots, one line per change. */
export function narrate(prev: DemoSnapshot | undefined, next: DemoSnapshot, startedMs: number): string[] {
  const at = `[${clock(next.atMs - startedMs)}]`;
  const out: string[] = [];
  for (const app of next.apps) {
    const before = prev?.apps.find((a) => a.name === app.name);
    if (before && before.replicas !== app.replicas)
      out.push(`${at} ${app.name}: replicas ${before.replicas} → ${app.replicas}`);
    for (const p of app.pods) {
      const old = before?.pods.find((x) => x.uid === p.uid);
      if (!old) {
        out.push(
          `${at} ${app.name}: pod ${p.name} ${p.state}${p.memPct !== undefined ? `, memory ${pct(p.memPct)}` : ''}`,
        );
        continue;
      }
      if (old.state !== p.state) out.push(`${at} ${app.name}: pod ${p.name} ${old.state} → ${p.state}`);
      if (p.restarts > old.restarts) out.push(`${at} ${app.name}: pod ${p.name} restarts ${p.restarts}`);
      const crossed = [25, 50, 75, 85, 100].find((t) => (old.memPct ?? 0) < t && (p.memPct ?? 0) >= t);
      if (crossed !== undefined)
        out.push(
          `${at} ${app.name}: pod ${p.name} memory ${mi(p.memBytes)} (${pct(p.memPct)})${crossed >= 85 ? ' ⚠' : ''}`,
        );
      if ((old.cpuPct ?? 0) <= 80 && (p.cpuPct ?? 0) > 80)
        out.push(`${at} ${app.name}: pod ${p.name} CPU ${p.cpuMillicores}m (${pct(p.cpuPct)}) ⚠`);
    }
    for (const old of before?.pods ?? [])
      if (!app.pods.some((p) => p.uid === old.uid)) out.push(`${at} ${app.name}: pod ${old.name} gone`);
  }
  for (const a of next.actions) {
    const old = prev?.actions.find((x) => x.metadata.name === a.metadata.name);
    // The analysis once it is in (with the phase it came with, after that phase's lines).
    const ai = a.status?.aiAnalysis;
    const aiLines =
      ai && (ai.reason !== old?.status?.aiAnalysis?.reason || ai.model !== old?.status?.aiAnalysis?.model)
        ? [
            `${at} HealingAction ${a.metadata.name}: AI ${aiText(a, 200)}`,
            ...(ai.reason ? [`${at}   ${ai.reason}`] : []),
          ]
        : [];
    if (old?.status?.phase === a.status?.phase) {
      out.push(...aiLines);
      continue;
    }
    const from = old ? `${old.status?.phase ?? 'Pending'} → ` : 'new, ';
    out.push(
      `${at} HealingAction ${a.metadata.name}: ${from}${a.status?.phase ?? 'Pending'}${a.status?.reason ? ` (${a.status.reason})` : ''}`,
    );
    if (!old && a.spec.trigger) out.push(`${at}   trigger ${firedText(a)}: ${a.spec.trigger.reason ?? ''}`);
    if (a.status?.message && a.status.message !== a.spec.trigger?.reason)
      out.push(`${at}   ${a.status.message}`);
    out.push(...aiLines);
  }
  for (const [name, p] of Object.entries(next.policies)) {
    const before = prev?.policies[name];
    // Refusals repeat at every evaluation: tell each reason once, and skip the routine ones
    // (an action already open on the target, a cooldown running).
    const fresh = Object.keys(p.refusals).some(
      (r) => !ROUTINE_REFUSALS.includes(r) && !(r in (before?.refusals ?? {})),
    );
    if (fresh && p.lastRefusal)
      out.push(`${at} policy ${name} refused: ${p.lastRefusal.reason}: ${p.lastRefusal.message}`);
  }
  return out;
}
