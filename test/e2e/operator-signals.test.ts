// `kubeskippy operator` and signals: SIGTERM drains and exits 0; a worker that stops on its own
// (the Temporal runtime shuts workers down on SIGUSR2, found by the hostile-policy chaos test)
// takes the whole process down with exit code 1, instead of leaving a controller that mirrors
// status while no workflow runs and a liveness probe that still says alive.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../tools/dev-server.js';
import { spawnCliOperator, type CliOperator } from '../support/cli-operator.js';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import { missingSeries, readmeSeries, servedNames } from '../support/metric-names.js';

let engine: Engine;
const children: CliOperator[] = [];
beforeAll(async () => {
  engine = await startEngine({ operator: false });
});
afterAll(async () => {
  for (const c of children) await c.kill();
  await engine?.stop();
});

/** The exit, or 'still running' after `ms`. */
const within = <T>(ms: number, p: Promise<T>): Promise<T | 'still running'> =>
  Promise.race([p, new Promise<'still running'>((r) => setTimeout(() => r('still running'), ms))]);

async function readyOperator(): Promise<CliOperator & { metricsPort: number }> {
  const port = await findFreePort();
  const child = spawnCliOperator(engine, 'operator', { metricsPort: port });
  children.push(child);
  await eventually(
    () => `the operator to be ready:\n${child.output()}`,
    () =>
      fetch(`http://127.0.0.1:${port}/readyz`)
        .then((r) => r.ok)
        .catch(() => false),
    60_000,
  );
  return Object.assign(child, { metricsPort: port });
}

describe('kubeskippy operator and signals', () => {
  it('serves every series the README lists on /metrics', { timeout: 120_000 }, async () => {
    const child = await readyOperator();
    const promised = await readmeSeries();
    expect(promised.length).toBeGreaterThanOrEqual(10);
    const text = await eventually(
      'the Temporal SDK series on /metrics',
      async () => {
        const body = await (await fetch(`http://127.0.0.1:${child.metricsPort}/metrics`)).text();
        return /^temporal_\w+/m.test(body) ? body : undefined;
      },
      30_000,
    );
    const names = servedNames(text);
    expect(missingSeries(promised, names), `promised by the README, absent from /metrics`).toEqual([]);
    expect([...names].filter((n) => n.startsWith('kubeskippy_process_process_'))).toEqual([]);
    process.kill(child.pid, 'SIGTERM');
    await within(30_000, child.exited);
  });

  it('exits 1 when its worker stops without being asked (SIGUSR2)', { timeout: 120_000 }, async () => {
    const child = await readyOperator();
    process.kill(child.pid, 'SIGUSR2');
    const exit = await within(30_000, child.exited);
    expect(exit, child.output()).toEqual({ code: 1, signal: null });
    expect(child.output()).toContain('the worker stopped without being asked');
  });

  it('exits 0 on SIGTERM', { timeout: 120_000 }, async () => {
    const child = await readyOperator();
    process.kill(child.pid, 'SIGTERM');
    expect(await within(30_000, child.exited)).toEqual({ code: 0, signal: null });
  });
});
