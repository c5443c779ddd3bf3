// CustomerSupportAgent on a real redis-server: exactly-once escalation across 4 agents with their own
// RedisSessionStore, a closed store's fallback, and the store commands one turn with history costs with
// 10 and with 10,000 sessions present (INFO commandstats delta, and the wire commands seen by MONITOR).
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../src/agent/escalationPolicy.js';
import { FALLBACK_MESSAGE } from '../src/agent/template.js';
import { CustomerSupportAgent, RedisSessionStore } from '../src/index.js';
import { CountingEscalation } from './helpers/agent-fakes.js';
import { waitUntil } from './helpers/redis-process.js';
import { useRedisServer } from './helpers/redis-suite.js';

const suite = useRedisServer();

function redisStore(keyPrefix: string): RedisSessionStore {
  const store = new RedisSessionStore({ url: suite.server.url, keyPrefix });
  return suite.track(store);
}

describe('escalation exactly once on Redis', () => {
  it('4 agents, each with its own RedisSessionStore, 50 concurrent escalating messages: one ticket', async () => {
    const escalation = new CountingEscalation(undefined, 20);
    const team = Array.from(
      { length: 4 },
      () =>
        new CustomerSupportAgent({
          store: redisStore('esc:'),
          tools: { escalation },
          escalationClaim: { pollIntervalMs: 10, waitMs: 10_000 },
        }),
    );
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (team[i % 4] as CustomerSupportAgent).processMessage({
          sessionId: 'angry:{customer}*',
          message: `#${i} THIS IS RIDICULOUS, give me a human!!!`,
        }),
      ),
    );
    expect(escalation.ticketCalls).toBe(1);
    expect(new Set(responses.map((r) => r.metadata.ticketId))).toEqual(new Set(['T-1']));
    expect(responses.every((r) => r.requiresEscalation && r.metadata.error === undefined)).toBe(true);
    const check = redisStore('esc:');
    const session = await check.get('angry:{customer}*', { touch: false });
    expect(session).toMatchObject({ escalated: true, messageCount: 50, metadata: { ticketId: 'T-1' } });
    expect(session?.metadata.escalationClaim).toBeUndefined();
  });

  it('a closed RedisSessionStore gives the documented fallback response', async () => {
    const store = redisStore('closed:');
    await store.close();
    const agent = new CustomerSupportAgent({ store });
    const response = await agent.processMessage({ sessionId: 'x', message: 'hi' });
    expect(response).toMatchObject({ message: FALLBACK_MESSAGE, requiresEscalation: true, confidence: 0 });
    expect(response.metadata.error).toBe('STORE_CLOSED');
  });
});

/** `cmdstat_<name>` → calls, from INFO commandstats. */
async function commandCalls(): Promise<Map<string, number>> {
  const info = await suite.admin.info('commandstats');
  const calls = new Map<string, number>();
  for (const line of info.split('\n')) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (match) calls.set(match[1] as string, Number(match[2]));
  }
  return calls;
}

describe('per-turn store cost does not grow with the number of sessions', () => {
  it('the same commands with 10 and with 10,000 sessions present, at most 3 on the wire', async () => {
    const store = redisStore('cost:');
    // The template's answer, plus what the generator was given: the history read in the same command.
    const histories = new Map<string, HistoryEntry[]>();
    const agent = new CustomerSupportAgent({
      store,
      generateResponse: ({ sessionId, history }) => {
        histories.set(sessionId, history);
        return 'We are open 9 to 5.';
      },
    });
    const seen: { source: string; command: string; arg: string | undefined }[] = [];
    const startMonitor = async () => {
      const connection = await new Redis(suite.server.url).monitor();
      connection.on('monitor', (_time: string, args: string[], source: string) => {
        seen.push({ source, command: (args[0] ?? '').toLowerCase(), arg: args[1] });
      });
      return connection;
    };
    let monitor = await startMonitor();
    let marker = 0;
    try {
      // Warm-up: connect and load the scripts (EVALSHA → NOSCRIPT → EVAL happens only here).
      await agent.processMessage({ sessionId: 'warm', message: 'hello' });
      await agent.processMessage({ sessionId: 'warm', message: 'hello again' });

      const measure = async (sessionId: string) => {
        marker += 1;
        const start = `turn-start-${marker}`;
        const end = `turn-end-${marker}`;
        await suite.admin.echo(start);
        const before = await commandCalls();
        const response = await agent.processMessage({ sessionId, message: 'What are your opening hours?' });
        const after = await commandCalls();
        await suite.admin.echo(end);
        await waitUntil('MONITOR to see the end marker', 5_000, async () =>
          seen.some((e) => e.command === 'echo' && e.arg === end),
        );
        expect(response.metadata.error).toBeUndefined();
        expect(response.requiresEscalation).toBe(false);
        expect(response.message).toBe('We are open 9 to 5.');
        // Server-side work: every command executed, those run inside Lua scripts included. The INFO
        // calls of this measurement itself are left out.
        let total = 0;
        const byCommand: Record<string, number> = {};
        for (const [name, calls] of after) {
          if (name === 'info') continue;
          const delta = calls - (before.get(name) ?? 0);
          if (delta > 0) {
            byCommand[name] = delta;
            total += delta;
          }
        }
        const from = seen.findIndex((e) => e.arg === start);
        const to = seen.findIndex((e) => e.arg === end);
        const wire = seen
          .slice(from + 1, to)
          .filter((e) => e.source !== 'lua' && e.command !== 'info')
          .map((e) => e.command);
        return { total, byCommand, wire };
      };

      for (let i = 0; i < 10; i += 1) await store.set(`few-${i}`, {});
      // Existing sessions have a history: two earlier turns, four items.
      for (const message of ['hi', 'where is my parcel?']) {
        await agent.processMessage({ sessionId: 'existing-small', message });
      }
      const smallNew = await measure('new-small');
      const smallExisting = await measure('existing-small');

      // Grow to 10,000+ sessions with the store's own calls, 2,000 in flight at a time (ioredis writes
      // them back to back on one connection, a pipeline in effect); MONITOR is off meanwhile, as it would
      // slow the server down for nothing.
      monitor.disconnect();
      for (let batch = 0; batch < 5; batch += 1) {
        await Promise.all(Array.from({ length: 2_000 }, (_, i) => store.set(`many-${batch}-${i}`, {})));
      }
      monitor = await startMonitor();
      expect(await store.countActive()).toBeGreaterThanOrEqual(10_000);
      for (const message of ['hi', 'where is my parcel?']) {
        await agent.processMessage({ sessionId: 'existing-large', message });
      }
      const largeNew = await measure('new-large');
      const largeExisting = await measure('existing-large');

      // The measured turns on existing sessions were given their history, read in the same commands.
      const earlier = [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'We are open 9 to 5.' },
        { role: 'user', content: 'where is my parcel?' },
        { role: 'assistant', content: 'We are open 9 to 5.' },
      ];
      expect(histories.get('existing-small')).toEqual(earlier);
      expect(histories.get('existing-large')).toEqual(earlier);
      expect(histories.get('new-large')).toEqual([]);
      // …and each recorded itself: the log grew by the question and the answer.
      expect(await store.getItems('existing-large')).toEqual([
        ...earlier,
        { role: 'user', content: 'What are your opening hours?' },
        { role: 'assistant', content: 'We are open 9 to 5.' },
      ]);

      console.log(
        `agent turn cost: wire ${smallNew.wire.length}/${largeNew.wire.length} (new session, 10/10k), ` +
          `${smallExisting.wire.length}/${largeExisting.wire.length} (existing); server-side calls ` +
          `${smallNew.total}/${largeNew.total} (new), ${smallExisting.total}/${largeExisting.total} (existing)`,
      );
      expect(largeNew.total).toBe(smallNew.total);
      expect(largeExisting.total).toBe(smallExisting.total);
      expect(largeNew.byCommand).toEqual(smallNew.byCommand);
      expect(largeExisting.byCommand).toEqual(smallExisting.byCommand);
      for (const cost of [smallNew, smallExisting, largeNew, largeExisting]) {
        expect(cost.wire.length).toBeLessThanOrEqual(3);
        // beginTurn (count + history) and appendItems (the question and the answer).
        expect(cost.wire).toHaveLength(2);
        expect(cost.wire.every((c) => c === 'evalsha')).toBe(true);
        expect(Object.keys(cost.byCommand)).not.toContain('scan');
        expect(Object.keys(cost.byCommand)).not.toContain('zcard');
      }
    } finally {
      monitor.disconnect();
    }
  });
});
