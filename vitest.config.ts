import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Integration tests share one Temporal dev server and run real timers; keep the defaults generous.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
