// Assertions that name the rule a backend broke. Each check takes the rule as its last argument and, on
// failure, puts it in front of node:assert's own message, so the report says what the store must do and
// still shows the values that differed. node:assert rather than a runner's `expect`, so the kit runs
// under vitest, jest, mocha and node:test alike.
import assert from 'node:assert/strict';
import { inspect } from 'node:util';

function withRule(rule: string, check: () => void): void {
  try {
    check();
  } catch (error) {
    if (error instanceof assert.AssertionError) error.message = `${rule}\n${error.message}`;
    throw error;
  }
}

const shown = (value: unknown) => inspect(value, { depth: 4, breakLength: Number.POSITIVE_INFINITY });

/** The checks; every one takes the rule it enforces as its last argument. */
export interface Must {
  /** `actual === expected` (Object.is). */
  equal(actual: unknown, expected: unknown, rule: string): void;
  /** `actual !== unexpected`. */
  notEqual(actual: unknown, unexpected: unknown, rule: string): void;
  /** Deep strict equality (prototypes and own keys included). */
  deepEqual(actual: unknown, expected: unknown, rule: string): void;
  /** `value` is truthy. Narrows, so a check for presence can precede a property read. */
  ok(value: unknown, rule: string): asserts value;
  /** `text` matches `pattern`. */
  match(text: string, pattern: RegExp, rule: string): void;
  /** Fails with `rule`. */
  fail(rule: string): never;
}

// Annotated with its interface: TypeScript narrows through an assertion method only when the object
// holding it has an explicit type.
export const must: Must = {
  equal(actual: unknown, expected: unknown, rule: string): void {
    withRule(rule, () => assert.equal(actual, expected));
  },
  notEqual(actual: unknown, unexpected: unknown, rule: string): void {
    withRule(rule, () => assert.notEqual(actual, unexpected));
  },
  deepEqual(actual: unknown, expected: unknown, rule: string): void {
    withRule(rule, () => assert.deepEqual(actual, expected));
  },
  ok(value: unknown, rule: string): asserts value {
    if (!value) throw new assert.AssertionError({ message: `${rule}\n(got ${shown(value)})`, actual: value });
  },
  match(text: string, pattern: RegExp, rule: string): void {
    withRule(rule, () => assert.match(text, pattern));
  },
  fail(rule: string): never {
    assert.fail(rule);
  },
};

/**
 * Awaits `promise` and returns its rejection when `guard` accepts it; fails with `rule` when the call
 * resolves or rejects with something else. Guards, not instanceof: a backend may load another copy of
 * this package than the suite.
 */
export async function rejectsWith<E>(
  promise: Promise<unknown>,
  guard: (e: unknown) => e is E,
  rule: string,
): Promise<E> {
  try {
    await promise;
  } catch (error) {
    if (guard(error)) return error;
    must.fail(`${rule}\n(it rejected with ${shown(error)})`);
  }
  must.fail(`${rule}\n(the call resolved)`);
}
