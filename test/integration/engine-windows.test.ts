// Maintenance and allowed windows end to end (sim + real Temporal + the operator): a window that
// covers now refuses every fire — the reason in the policy's status, a WouldHeal Event, the
// kubeskippy_safety_refusals_total{reason} series and the Window condition (kubectl get hp) — and
// a window that does not cover now lets the action through. Schedules are built from the current
// UTC time: a window that opened a minute ago and lasts an hour, or one that opens in two hours.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import {
  actionsOf,
  alwaysTrue,
  describeActions,
  eventsWith,
  healingPolicy,
  policyStatus,
  refusalSeries,
  scrapeMetrics,
} from '../support/engine-scenarios.js';
import { deployment } from '../support/sim-fixtures.js';

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine({ timeScale: 0.1 });
});
afterAll(() => engine?.stop());

const POLICIES = 'kubeskippy.io/v1alpha1/healingpolicies';
const MIN = 60_000;

/** A daily UTC window starting `offsetMs` from now (rounded down to the minute), lasting an hour. */
function dailyAt(offsetMs: number): { schedule: string; duration: string; timeZone: string } {
  const start = new Date(Date.now() + offsetMs);
  return {
    schedule: `${start.getUTCMinutes()} ${start.getUTCHours()} * * *`,
    duration: '1h',
    timeZone: 'UTC',
  };
}
const COVERS_NOW = (): ReturnType<typeof dailyAt> => dailyAt(-MIN);
const LATER = (): ReturnType<typeof dailyAt> => dailyAt(120 * MIN);

function windowPolicy(name: string, safetyRules: Record<string, unknown>): ReturnType<typeof healingPolicy> {
  return healingPolicy(engine.namespace, name, `${name}-app`, {
    triggers: [alwaysTrue('busy', { cooldownPeriod: '1h' })],
    actions: [
      { name: 'delete-pod', type: 'restart', restartAction: { strategy: 'delete', gracePeriodSeconds: 0 } },
    ],
    safetyRules: { minReadyReplicas: 0, ...safetyRules },
    verification: { enabled: false },
  });
}

interface ConditionView {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}
const windowCondition = (name: string) => (): ConditionView | undefined =>
  (
    engine.sim.store.get(POLICIES, engine.namespace, name)?.status?.conditions as ConditionView[] | undefined
  )?.find((c) => c.type === 'Window');

const scrape = (): Promise<string> => scrapeMetrics(engine);
const refusals = (policy: string, reason: string): RegExp => refusalSeries(engine, policy, reason);

/** Waits until the policy refused with `reason`, then checks every place a user sees it. */
async function expectRefusedEverywhere(name: string, reason: string, words: string): Promise<void> {
  const status = await eventually(
    `${reason} refusals of ${name}`,
    async () => {
      const s = await policyStatus(engine, name).catch(() => undefined);
      return s && (s.counters.refusals[reason] ?? 0) >= 2 ? s : undefined;
    },
    40_000,
  );
  expect(status.lastRefusals.map((r) => r.reason)).toContain(reason);
  expect(status.lastRefusals.find((r) => r.reason === reason)?.message).toContain(words);
  expect(status.counters.actionsStarted).toBe(0);
  const event = await eventually(`a WouldHeal Event on HealingPolicy ${name}`, () =>
    eventsWith(engine, 'WouldHeal', name).find((e) => (e as { message?: string }).message?.includes(words)),
  );
  expect((event as { involvedObject?: { kind?: string } }).involvedObject?.kind).toBe('HealingPolicy');
  const text = await eventually(`${reason} in /metrics for ${name}`, async () => {
    const body = await scrape();
    return refusals(name, reason).test(body) ? body : undefined;
  });
  expect(Number(refusals(name, reason).exec(text)![1])).toBeGreaterThanOrEqual(1);
  const condition = await eventually(`Window=True ${reason} on ${name}`, () => {
    const c = windowCondition(name)();
    return c?.reason === reason ? c : undefined;
  });
  expect(condition.status).toBe('True');
  expect(actionsOf(engine, name)).toEqual([]);
}

async function expectActed(name: string): Promise<void> {
  await eventually(
    () => `an action of ${name}: ${describeActions(engine, name)}`,
    () => actionsOf(engine, name).some((a) => a.status?.phase === 'Succeeded'),
    40_000,
  );
  const condition = await eventually(`Window=False Open on ${name}`, () => {
    const c = windowCondition(name)();
    return c?.reason === 'Open' ? c : undefined;
  });
  expect(condition.status).toBe('False');
  const s = await policyStatus(engine, name);
  expect(s.window?.state).toBe('open');
  expect(s.lastRefusals.filter((r) => r.reason.endsWith('Window'))).toEqual([]);
}

describe('maintenance windows', () => {
  it('refuse every fire while one is open, and let the action through while none is', async () => {
    engine.apply([
      deployment('maint-now-app', { replicas: 1 }),
      deployment('maint-later-app', { replicas: 1 }),
      windowPolicy('maint-now', { maintenanceWindows: [COVERS_NOW()] }),
      windowPolicy('maint-later', { maintenanceWindows: [LATER()] }),
    ]);
    await expectRefusedEverywhere(
      'maint-now',
      'MaintenanceWindow',
      'in maintenance window safetyRules.maintenanceWindows[0]',
    );
    await expectActed('maint-later');
  });
});

describe('allowed windows', () => {
  it('let the action through inside one, and refuse every fire outside all of them', async () => {
    engine.apply([
      deployment('allowed-now-app', { replicas: 1 }),
      deployment('allowed-later-app', { replicas: 1 }),
      windowPolicy('allowed-now', { allowedWindows: [COVERS_NOW()] }),
      windowPolicy('allowed-later', { allowedWindows: [LATER()] }),
    ]);
    await expectActed('allowed-now');
    await expectRefusedEverywhere('allowed-later', 'OutsideAllowedWindow', 'outside every allowed window');
  });
});
