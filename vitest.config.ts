import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'tests/**/*.test.ts'],
    // Fault tests have their own command and config: npm run test:faults.
    exclude: ['tests/faults/**', 'node_modules/**', 'dist/**'],
    // Fails the run at once, with one message, when redis-server or redis-cli cannot be found.
    globalSetup: ['tests/helpers/require-redis.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Redis-backed suites start their own servers; two workers match the two cores here.
    maxWorkers: 2,
    retry: 0,
  },
});
