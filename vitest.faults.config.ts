import { defineConfig } from 'vitest/config';

// Fault tests (kill -9, Sentinel and Cluster failover, resharding): real servers, one file at a time so
// that timings are not skewed by another suite competing for the two cores.
export default defineConfig({
  test: {
    include: ['tests/faults/**/*.test.ts'],
    // Fails the run at once, with one message, when redis-server or redis-cli cannot be found.
    globalSetup: ['tests/helpers/require-redis.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    maxWorkers: 1,
    fileParallelism: false,
    retry: 0,
  },
});
