// Fuzzed input over the public API of the in-memory store and the codec: every call succeeds with a
// result that round-trips, or throws SessionValidationError / SessionDecodeError; nothing hangs and
// Object.prototype stays clean.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { InMemorySessionStore, isSessionDecodeError, SessionCodec } from '../src/index.js';
import {
  allowed,
  anyValue,
  expectCleanPrototype,
  operationArbitrary,
  PYTHON_RECORD,
  runOperation,
} from './helpers/fuzz.js';

afterEach(() => expectCleanPrototype());

describe('fuzzing InMemorySessionStore', () => {
  it('random operation sequences give only results that round-trip or typed validation errors', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operationArbitrary, { minLength: 1, maxLength: 25 }), async (steps) => {
        const store = new InMemorySessionStore({ maxSessionBytes: 64 * 1024 });
        try {
          for (const step of steps) await runOperation(store, step);
          expectCleanPrototype();
        } finally {
          await store.close();
        }
      }),
      { numRuns: 300 },
    );
  });

  it('store options are validated with typed errors too', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            defaultTtlSeconds: anyValue,
            maxLifetimeSeconds: anyValue,
            maxSessionBytes: anyValue,
            touchOnGet: anyValue,
            maxSessions: anyValue,
          },
          { requiredKeys: [] },
        ),
        async (options) => {
          const r = await allowed(async () => new InMemorySessionStore(options as never), 'constructor');
          if (r.ok) {
            await r.value.set('probe', {});
            await r.value.close();
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('fuzzing SessionCodec.fromPlain', () => {
  it('arbitrary JSON decodes to a valid session or throws SessionDecodeError', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        try {
          const session = SessionCodec.fromPlain(value);
          expect(SessionCodec.fromJSON(SessionCodec.toJSON(session))).toEqual(session);
        } catch (error) {
          expect(isSessionDecodeError(error)).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('records with one field replaced by an arbitrary value decode or name a field', () => {
    const fields = [
      'session_id',
      'user_id',
      'thread_id',
      'message_count',
      'escalated',
      'metadata',
      'request_id',
      'created_at',
      'updated_at',
      'last_activity',
      'expires_at',
      'version',
    ];
    const base = PYTHON_RECORD;
    fc.assert(
      fc.property(fc.constantFrom(...fields), anyValue, (field, value) => {
        try {
          const session = SessionCodec.fromPlain({ ...base, [field]: value });
          expect(SessionCodec.fromJSON(SessionCodec.toJSON(session))).toEqual(session);
        } catch (error) {
          expect(isSessionDecodeError(error)).toBe(true);
          expect(typeof (error as { field?: unknown }).field).toBe('string');
        }
        expectCleanPrototype();
      }),
      { numRuns: 1000 },
    );
  });
});
