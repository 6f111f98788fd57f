// What the demo prints when it is not on a terminal (CI, tests, a log file, TERM=dumb): plain
// lines, one per change worth telling, so the output reads as a timeline. On a terminal it draws
// frames instead (frame.ts, screen.ts).
import { ROUTINE_REFUSALS, type DemoSnapshot } from './observe.js';
import { aiText, firedText } from './outcome.js';

const mi = (b: number | undefined): string => (b === undefined ? '-' : `${Math.round(b / 1048576)}Mi`);
const pct = (p: number | undefined): string => (p === undefined ? '' : `${Math.round(p)}%`);

export function clock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
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
    if (old && old.status?.phase === a.status?.phase) {
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
