import { defineConfig } from 'vitest/config';

// The PostgreSQL tier exists only when asked for (`npm run test:postgres` sets this), so a plain
// `vitest run` (npm test) never runs the engine files a second time against it.
const postgresTier = process.env.KUBESKIPPY_POSTGRES_TIER === '1';

export default defineConfig({
  test: {
    // Integration tests share one Temporal dev server and run real timers; keep the defaults generous.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    globalSetup: ['test/support/global-setup.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'sim', include: ['test/**/*.test.ts'], exclude: ['test/real/**', 'test/chaos/**'] },
      },
      {
        // The chaos suite on the sim: worker kills, a Temporal restart, API faults, hostile policies.
        // After the sim tier and one file at a time: its kills and fault storms load both cores, and
        // timing-sensitive engine tests beside them (backtest agreement) missed evaluations.
        extends: true,
        test: {
          name: 'chaos',
          include: ['test/chaos/**/*.test.ts'],
          sequence: { groupOrder: 1 },
          poolOptions: { forks: { singleFork: true } },
        },
      },
      {
        // The real control plane (kube-apiserver, etcd, controllers, kwok): one cluster for the
        // tier, started by its own global setup, after the sim tiers so the two do not share the
        // machine's two cores.
        extends: true,
        test: {
          name: 'real',
          include: ['test/real/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts', 'test/support/real-cluster-setup.ts'],
          sequence: { groupOrder: 2 },
          // One file at a time: each starts an operator whose controller watches HealingPolicies
          // cluster-wide, so two at once would pick up each other's policies.
          poolOptions: { forks: { singleFork: true } },
        },
      },
      // The engine scenarios against a Temporal server built here, on PostgreSQL (README,
      // "A production Temporal"): the same test files as the sim tier, another server.
      ...(postgresTier
        ? [
            {
              // Not `extends: true`: that would prepend the root's global setup, whose dev server
              // would start (unused) before this one's TEMPORAL_ADDRESS is set.
              test: {
                name: 'postgres',
                include: ['test/integration/engine-*.test.ts'],
                testTimeout: 60_000,
                hookTimeout: 120_000,
                pool: 'forks' as const,
                globalSetup: ['test/support/postgres-setup.ts', 'test/support/global-setup.ts'],
                sequence: { groupOrder: 3 },
              },
            },
          ]
        : []),
    ],
    sequence: { groupOrder: 0 },
  },
});
