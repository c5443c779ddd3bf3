// Fuzzing the public API of any SessionStore with fast-check: every call must either succeed with a
// result that round-trips, or throw SessionValidationError / SessionDecodeError. Anything else — another
// error type, a hang, a polluted Object.prototype — fails the property.
import fc from 'fast-check';
import { expect } from 'vitest';
import {
  isSessionDecodeError,
  isSessionValidationError,
  SessionCodec,
  type SessionData,
  type SessionStore,
} from '../../src/index.js';

/** Rejects when `promise` does not settle within `ms`: a hang is a failure, not a slow pass. */
export async function withinMs<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Runs the call; a SessionValidationError/SessionDecodeError is an allowed outcome, anything else throws. */
export async function allowed<T>(call: () => Promise<T>, what: string): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await withinMs(call(), 5_000, what) };
  } catch (error) {
    if (isSessionValidationError(error) || isSessionDecodeError(error)) return { ok: false, error };
    throw new Error(`${what} threw something other than a validation/decode error: ${String(error)}`, {
      cause: error,
    });
  }
}

const prototypeKeys = () => Object.getOwnPropertyNames(Object.prototype).sort().join(',');
const cleanPrototype = prototypeKeys();

export function expectCleanPrototype(): void {
  expect(prototypeKeys()).toBe(cleanPrototype);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
}

/** Strings that stress ids and keys: control characters, braces, colons, globs, unicode, length edges. */
export const nastyString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(
    '',
    '__proto__',
    'constructor',
    'prototype',
    '{',
    '}',
    '{a}',
    'a:b',
    '*',
    '?',
    '[x]',
    '\u2028',
    '\u0000',
    'x'.repeat(512),
    'x'.repeat(513),
  ),
  fc.string({ unit: 'binary', maxLength: 20 }),
);

/** Any value at all, including the non-JSON ones the stores must refuse. */
export const anyValue = fc.oneof(
  fc.anything({
    withBigInt: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withTypedArray: true,
    withNullPrototype: true,
    withSparseArray: true,
    maxDepth: 3,
  }),
  fc.constantFrom(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    -0,
    () => 1,
    Symbol('s'),
    2 ** 53,
    -(2 ** 53 - 1),
    0.1 + 0.2,
  ),
  fc.jsonValue({ maxDepth: 3 }),
);

export const patchArbitrary = fc.dictionary(
  fc.oneof(
    fc.constantFrom('userId', 'threadId', 'messageCount', 'escalated', 'requestId', 'metadata'),
    nastyString,
  ),
  fc.oneof(anyValue, fc.dictionary(nastyString, fc.oneof(anyValue, fc.constant(undefined)), { maxKeys: 4 })),
  { maxKeys: 4 },
);

export const ttlArbitrary = fc.oneof(
  fc.constant(undefined),
  fc.double(),
  fc.constantFrom(0, -1, 0.001, 1, 3600, 2 ** 31, 2 ** 31 + 1, '10', null, Number.NaN),
);

export const deltaArbitrary = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(2 ** 53, -(2 ** 53), '1', null, undefined),
);

function expectRoundTrip(session: SessionData): void {
  expect(SessionCodec.fromJSON(SessionCodec.toJSON(session))).toEqual(session);
}

/** One fuzz step against `store`: a random operation with random arguments. */
export const operationArbitrary = fc.oneof(
  fc.record({
    op: fc.constant('set' as const),
    id: nastyString,
    data: fc.oneof(anyValue, patchArbitrary),
    ttl: ttlArbitrary,
  }),
  fc.record({
    op: fc.constant('getOrCreate' as const),
    id: nastyString,
    data: fc.oneof(anyValue, patchArbitrary),
    ttl: ttlArbitrary,
  }),
  fc.record({
    op: fc.constant('update' as const),
    id: nastyString,
    patch: fc.oneof(anyValue, patchArbitrary),
  }),
  fc.record({
    op: fc.constant('increment' as const),
    id: nastyString,
    field: fc.oneof(nastyString, fc.constant('messageCount'), anyValue),
    delta: deltaArbitrary,
  }),
  fc.record({
    op: fc.constant('get' as const),
    id: fc.oneof(nastyString, anyValue),
    touch: fc.oneof(fc.boolean(), anyValue),
  }),
  fc.record({ op: fc.constant('touch' as const), id: nastyString, ttl: ttlArbitrary }),
  fc.record({ op: fc.constant('delete' as const), id: nastyString }),
  fc.record({
    op: fc.constant('list' as const),
    limit: fc.oneof(fc.nat(50), anyValue),
    offset: fc.oneof(fc.nat(50), anyValue),
  }),
);

export type Operation = typeof operationArbitrary extends fc.Arbitrary<infer T> ? T : never;

/** Applies one operation; asserts the result round-trips and reads back as returned. */
export async function runOperation(store: SessionStore, step: Operation): Promise<void> {
  switch (step.op) {
    case 'set': {
      const r = await allowed(
        () => store.set(step.id, step.data as never, { ttlSeconds: step.ttl as number }),
        'set',
      );
      if (r.ok) {
        expectRoundTrip(r.value);
        // A sub-second TTL may run out before the read on a real clock; longer ones must read back.
        if (typeof step.ttl !== 'number' || step.ttl >= 1) {
          expect(await store.get(step.id, { touch: false })).toEqual(r.value);
        }
      }
      return;
    }
    case 'getOrCreate': {
      const r = await allowed(
        () => store.getOrCreate(step.id, step.data as never, { ttlSeconds: step.ttl as number }),
        'getOrCreate',
      );
      if (r.ok) expectRoundTrip(r.value.session);
      return;
    }
    case 'update': {
      const r = await allowed(() => store.update(step.id, step.patch as never), 'update');
      if (r.ok && r.value) {
        expectRoundTrip(r.value);
        expect(await store.get(step.id, { touch: false })).toEqual(r.value);
      }
      return;
    }
    case 'increment': {
      const r = await allowed(
        () => store.incrementCounter(step.id, step.field as string, step.delta as number),
        'incrementCounter',
      );
      if (r.ok && r.value !== null) expect(Number.isSafeInteger(r.value)).toBe(true);
      return;
    }
    case 'get': {
      const r = await allowed(() => store.get(step.id as string, { touch: step.touch as boolean }), 'get');
      if (r.ok && r.value) expectRoundTrip(r.value);
      return;
    }
    case 'touch':
      await allowed(() => store.touch(step.id, { ttlSeconds: step.ttl as number }), 'touch');
      return;
    case 'delete':
      await allowed(() => store.delete(step.id), 'delete');
      return;
    case 'list': {
      const r = await allowed(
        () => store.listActive({ limit: step.limit as number, offset: step.offset as number }),
        'listActive',
      );
      if (r.ok) expect(r.value.every((id) => typeof id === 'string')).toBe(true);
      return;
    }
  }
}

/**
 * A valid record as the Python service wrote it (snake_case, naive timestamps): the starting point that
 * corruption and fuzz tests change one field of.
 */
export const PYTHON_RECORD: Readonly<Record<string, unknown>> = Object.freeze({
  session_id: 's',
  user_id: null,
  thread_id: null,
  message_count: 1,
  escalated: false,
  metadata: {},
  request_id: null,
  created_at: '2026-11-24T03:51:44.562384',
  updated_at: '2026-11-24T03:51:44.562384',
  last_activity: '2026-11-24T03:51:44.562384',
});
