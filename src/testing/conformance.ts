// The conformance suite: the behaviour every SessionStore must show. The built-in stores run it in this
// project's tests; authors of other backends run it against theirs. It needs only `describe` and `it`
// from the test runner and asserts with node:assert, so vitest, jest, mocha and node:test all work.
import { CONFORMANCE_GROUPS, type ConformanceGroupKey } from './groups.js';
import { type ConformanceGroup, createHarness, type HarnessOptions, type StoreFactory } from './harness.js';
import type { HistoryConformanceOptions } from './history.js';

export interface ConformanceOptions extends HarnessOptions {
  /**
   * Switches groups on and off by key: `{ counters: false }` skips the incrementCounter tests. A group
   * left out runs; an unknown key is a TypeError.
   * @default every group on
   */
  groups?: { readonly [K in ConformanceGroupKey]?: boolean };
  /**
   * Options of the conversation-history group (such as the hook that plants corrupt items); `false`
   * leaves the group out, like `groups: { history: false }`.
   * @default {}
   */
  history?: boolean | HistoryConformanceOptions;
}

const byKey = new Map<string, ConformanceGroup>(CONFORMANCE_GROUPS.map((group) => [group.key, group]));
const knownKeys = () => CONFORMANCE_GROUPS.map((group) => group.key).join(', ');

/**
 * Registers the conformance tests for one backend. `createStore` is called once per test (with the
 * options that test needs) and the store is closed afterwards.
 */
export function describeSessionStoreConformance(
  name: string,
  createStore: StoreFactory,
  suiteOptions: ConformanceOptions = {},
): void {
  const entry = 'describeSessionStoreConformance';
  const switches: Record<string, unknown> = suiteOptions.groups ?? {};
  if (typeof switches !== 'object' || switches === null) {
    throw new TypeError(`${entry}: groups must be an object of group key → boolean`);
  }
  for (const [key, on] of Object.entries(switches)) {
    if (!byKey.has(key))
      throw new TypeError(`${entry}: unknown group ${JSON.stringify(key)} (groups: ${knownKeys()})`);
    if (on !== undefined && typeof on !== 'boolean') {
      throw new TypeError(`${entry}: groups.${key} must be a boolean, got ${JSON.stringify(on)}`);
    }
  }
  const { describe, test } = createHarness(entry, createStore, suiteOptions);
  describe(`SessionStore conformance: ${name}`, () => {
    for (const group of CONFORMANCE_GROUPS) {
      if (switches[group.key] === false) continue;
      if (group.key === 'history' && suiteOptions.history === false) continue;
      describe(group.title, () => group.define(test, { describe, options: suiteOptions }));
    }
  });
}

/**
 * Registers one group on its own, by key (`'counters'`) or as a group object (one of your own made with
 * `defineConformanceGroup`). The tests carry the same names as in the full suite.
 */
export function describeConformanceGroup(
  group: ConformanceGroupKey | ConformanceGroup,
  name: string,
  createStore: StoreFactory,
  options: HarnessOptions & { history?: HistoryConformanceOptions | boolean } = {},
): void {
  const entry = 'describeConformanceGroup';
  const resolved = typeof group === 'string' ? byKey.get(group) : group;
  if (resolved === undefined) {
    throw new TypeError(`${entry}: unknown group ${JSON.stringify(group)} (groups: ${knownKeys()})`);
  }
  const { describe, test } = createHarness(entry, createStore, options);
  describe(`SessionStore conformance: ${name}`, () => {
    describe(resolved.title, () => resolved.define(test, { describe, options }));
  });
}
