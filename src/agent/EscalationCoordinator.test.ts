// The coordinator on the in-memory store with an injected clock: the expected version it is given, stale
// claims judged by that clock (no sleeping), and its option checks.
import { describe, expect, it } from 'vitest';
import { InMemorySessionStore } from '../memory/InMemorySessionStore.js';
import { EscalationCoordinator } from './EscalationCoordinator.js';

/** A store whose update calls are recorded with the expectedVersion each carried. */
class RecordingStore extends InMemorySessionStore {
  readonly updates: (number | undefined)[] = [];
  reads = 0;
  override get(...args: Parameters<InMemorySessionStore['get']>) {
    this.reads += 1;
    return super.get(...args);
  }
  override update(...args: Parameters<InMemorySessionStore['update']>) {
    this.updates.push(args[2]?.expectedVersion);
    return super.update(...args);
  }
}

const T0 = Date.UTC(2030, 0, 1);

describe('EscalationCoordinator', () => {
  it('claims with the expected version it is given: no read, claim and ticket in two writes', async () => {
    const store = new RecordingStore();
    const { session } = await store.getOrCreate('v');
    await store.incrementCounter('v', 'messageCount');
    const coordinator = new EscalationCoordinator(store, {}, () => T0);
    const outcome = await coordinator.escalate({
      session,
      expectedVersion: session.version + 1,
      reasons: ['test'],
      createTicket: async () => 'T-1',
      signal: undefined,
    });
    expect(outcome).toEqual({ status: 'created', ticketId: 'T-1' });
    expect(store.updates).toEqual([session.version + 1, undefined]);
    expect(store.reads).toBe(0);
    expect((await store.get('v'))?.metadata).toMatchObject({
      ticketId: 'T-1',
      escalatedAt: new Date(T0).toISOString(),
      escalationReasons: ['test'],
    });
  });

  it('reads the session first when the version is unknown, and after a conflict', async () => {
    const store = new RecordingStore();
    const { session } = await store.getOrCreate('u');
    const coordinator = new EscalationCoordinator(store, {}, () => T0);
    const request = { session, reasons: [], createTicket: async () => 'T-2', signal: undefined };
    expect(await coordinator.escalate({ ...request, expectedVersion: undefined })).toMatchObject({
      status: 'created',
    });
    const stale = await store.getOrCreate('w');
    await store.update('w', { metadata: { other: 1 } });
    expect(
      await coordinator.escalate({
        ...request,
        session: stale.session,
        expectedVersion: stale.session.version,
      }),
    ).toMatchObject({ status: 'created', ticketId: 'T-2' });
    // The stale version conflicted; the retry used the version it read.
    expect(store.updates.slice(3)).toEqual([stale.session.version, stale.session.version + 1, undefined]);
  });

  it('takes over a claim once the injected clock says it is stale, reusing its idempotency key', async () => {
    const store = new InMemorySessionStore();
    await store.set('s', { escalated: true, metadata: { escalationClaim: { id: 'dead', at: T0 } } });
    // Each reading moves the clock 1 ms on, so the loser's bounded wait ends without real time passing.
    let now = T0 + 1000;
    const coordinator = new EscalationCoordinator(
      store,
      { staleAfterMs: 5000, waitMs: 10, pollIntervalMs: 1 },
      () => {
        now += 1;
        return now;
      },
    );
    const keys: string[] = [];
    const createTicket = async (key: string) => {
      keys.push(key);
      return 'T-3';
    };
    const session = (await store.get('s'))!;
    const request = { session, expectedVersion: undefined, reasons: [], createTicket, signal: undefined };
    expect(await coordinator.escalate(request)).toEqual({ status: 'pending' });
    expect(keys).toEqual([]);
    now = T0 + 5000;
    expect(await coordinator.escalate(request)).toEqual({ status: 'created', ticketId: 'T-3' });
    expect(keys).toEqual(['dead']);
  });

  it('rejects bad options with SessionValidationError naming the option', () => {
    expect(() => new EscalationCoordinator(new InMemorySessionStore(), { waitMs: 0 })).toThrow(
      expect.objectContaining({ code: 'SESSION_VALIDATION', field: 'escalationClaim.waitMs' }),
    );
  });
});
