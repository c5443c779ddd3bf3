// Fuzzed input over the public API of RedisSessionStore on a real standalone redis-server: the same
// fast-check operations as tests/fuzz.test.ts. Every call succeeds with a result that round-trips or throws
// SessionValidationError / SessionDecodeError; nothing hangs and Object.prototype stays clean.
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisSessionStore } from '../src/index.js';
import { expectCleanPrototype, operationArbitrary, runOperation, withinMs } from './helpers/fuzz.js';
import type { RedisServerHandle } from './helpers/redis-process.js';
import { redisCommand } from './helpers/redis-resp.js';
import { startRedis } from './helpers/redis-standalone.js';

/** Runs and steps per run: 100 × ≤ 20 keeps the file at a few seconds on two cores. */
const RUNS = 100;
const MAX_STEPS = 20;

let server: RedisServerHandle | undefined;
let store: RedisSessionStore | undefined;

beforeAll(async () => {
  server = await startRedis();
});

afterAll(async () => {
  await store?.close();
  await server?.stop();
});

afterEach(() => expectCleanPrototype());

describe('fuzzing RedisSessionStore on a standalone redis-server', () => {
  it('random operation sequences give only results that round-trip or typed validation/decode errors', async () => {
    const url = (server as RedisServerHandle).url;
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(operationArbitrary, { minLength: 1, maxLength: MAX_STEPS }),
        async (steps) => {
          run += 1;
          // A fresh prefix per run: one run's sessions never leak into the next run's listActive.
          const runStore = new RedisSessionStore({
            url,
            keyPrefix: `fuzz:${run}:`,
            maxSessionBytes: 64 * 1024,
          });
          store = runStore;
          try {
            for (const step of steps) {
              // runOperation bounds each call at 5 s; this bounds the step with its read-back too.
              await withinMs(runOperation(runStore, step), 15_000, `step ${step.op}`);
            }
            expectCleanPrototype();
          } finally {
            await runStore.close();
            store = undefined;
          }
        },
      ),
      { numRuns: RUNS },
    );
    // The runs really went to this server: their keys are there (under the fuzz: prefixes).
    const port = (server as RedisServerHandle).port;
    const keys = (await redisCommand(port, ['DBSIZE'])) as number;
    expect(run).toBe(RUNS);
    expect(keys).toBeGreaterThan(0);
  });
});
