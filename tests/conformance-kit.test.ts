// The conformance kit itself: groups switch on and off, one group runs alone, and a failure names the
// rule the backend broke.
import { describe, expect, it } from 'vitest';
import { InMemorySessionStore, type SessionData } from '../src/index.js';
import {
  CONFORMANCE_GROUPS,
  type ConformanceOptions,
  describeConformanceGroup,
  describeSessionStoreConformance,
  type StoreFactory,
} from '../src/testing/index.js';

interface Recorded {
  /** describe titles, outermost first, joined with ' > ', then the test name. */
  path: string[];
  body: () => Promise<void>;
}

/** A describe/it pair that records what the kit registers instead of running it. */
function recorder() {
  const tests: Recorded[] = [];
  const stack: string[] = [];
  const options = {
    describe(name: string, body: () => void) {
      stack.push(name);
      body();
      stack.pop();
    },
    it(name: string, body: () => Promise<void>) {
      tests.push({ path: [...stack, name], body });
    },
  } satisfies Pick<ConformanceOptions, 'describe' | 'it'>;
  const find = (name: string) => {
    const test = tests.find((t) => t.path.at(-1) === name);
    if (test === undefined) throw new Error(`no test named ${name}`);
    return test;
  };
  return { tests, options, find };
}

const memory: StoreFactory = ({ now, options }) => new InMemorySessionStore({ ...options, now });
const groupOf = (t: Recorded) => t.path[1];

describe('conformance kit', () => {
  it('runs every group by default, each under its own title', () => {
    const { tests, options } = recorder();
    describeSessionStoreConformance('memory', memory, { ...options, clock: 'manual' });
    const titles = [...new Set(tests.map(groupOf))];
    // The history group runs after the built-in groups (ConformanceOptions.history).
    expect(titles).toEqual([...CONFORMANCE_GROUPS.map((group) => group.title), 'history']);
    expect(tests.every((t) => t.path[0] === 'SessionStore conformance: memory')).toBe(true);
    expect(tests.length).toBeGreaterThanOrEqual(45);
  });

  it('switches a group off by its key and leaves the others on', () => {
    const all = recorder();
    describeSessionStoreConformance('memory', memory, all.options);
    const some = recorder();
    describeSessionStoreConformance('memory', memory, {
      ...some.options,
      groups: { counters: false, expiry: false, metadata: true },
    });
    const titles = new Set(some.tests.map(groupOf));
    expect(titles.has('incrementCounter')).toBe(false);
    expect(titles.has('expiry')).toBe(false);
    expect(titles.has('metadata')).toBe(true);
    const removed = all.tests.filter((t) => groupOf(t) === 'incrementCounter' || groupOf(t) === 'expiry');
    expect(removed.length).toBeGreaterThan(0);
    expect(some.tests).toHaveLength(all.tests.length - removed.length);
  });

  it('refuses an unknown group key or a non-boolean switch, naming it', () => {
    const { options } = recorder();
    expect(() =>
      describeSessionStoreConformance('memory', memory, {
        ...options,
        groups: { countres: false } as never,
      }),
    ).toThrow(/unknown group "countres" \(groups: getAndSet, .*counters/);
    expect(() =>
      describeSessionStoreConformance('memory', memory, { ...options, groups: { counters: 'no' } as never }),
    ).toThrow(/groups\.counters must be a boolean/);
    expect(() => describeConformanceGroup('nope' as never, 'memory', memory, options)).toThrow(
      /unknown group "nope"/,
    );
  });

  it('runs one group on its own, with the same test names as in the full suite', async () => {
    const all = recorder();
    describeSessionStoreConformance('memory', memory, all.options);
    const one = recorder();
    describeConformanceGroup('counters', 'memory', memory, { ...one.options, clock: 'manual' });
    expect(one.tests.map((t) => t.path)).toEqual(
      all.tests.filter((t) => groupOf(t) === 'incrementCounter').map((t) => t.path),
    );
    for (const test of one.tests) await test.body();
  });

  it('tells a store that ignores the `now` option to take its clock from it', async () => {
    const { options, find } = recorder();
    // The store keeps real time although the suite runs with a manual clock.
    describeConformanceGroup('expiry', 'deaf clock', ({ options: o }) => new InMemorySessionStore(o), {
      ...options,
      clock: 'manual',
    });
    await expect(find('a session expires after its TTL').body()).rejects.toThrow(
      /get must resolve null once the 0\.4 s TTL has passed \(the kit moved the clock it passes as the `now` option by 700 ms: a store must take its clock from the `now` option the kit passes\)/,
    );
  });

  it('tells a store that hands out its own objects that get must return a copy', async () => {
    // A store whose get keeps handing out the first object it returned for an id.
    class SharingStore extends InMemorySessionStore {
      readonly #handedOut = new Map<string, SessionData>();
      override async get(id: string, options?: { touch?: boolean }): Promise<SessionData | null> {
        const kept = this.#handedOut.get(id);
        if (kept !== undefined) return kept;
        const session = await super.get(id, options);
        if (session !== null) this.#handedOut.set(id, session);
        return session;
      }
    }
    const { options, find } = recorder();
    describeConformanceGroup(
      'getAndSet',
      'sharing',
      ({ now, options: o }) => new SharingStore({ ...o, now }),
      {
        ...options,
        clock: 'manual',
      },
    );
    const failure = find('returned sessions are copies: mutating them changes nothing in the store').body();
    await expect(failure).rejects.toThrow(/must copy what they take and what they return/);
    // The values that differed are still in the message, under the rule.
    await expect(failure).rejects.toThrow(/other: 1/);
  });
});
