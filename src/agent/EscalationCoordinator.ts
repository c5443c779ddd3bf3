// Exactly-once escalation over the public SessionStore API, across concurrent turns and instances.
//
// Protocol (metadata keys: escalationClaim {id, at}, ticketId, escalatedAt, escalationReasons,
// escalationError):
//  1. Claim: `update(id, { escalated: true, metadata: { escalationClaim } }, { expectedVersion })`.
//     The first try guesses the version — the one `getOrCreate` returned plus one for this turn's own
//     increment; it matches exactly when nothing else wrote in between, which also proves the session was
//     not escalated (we saw it unescalated). On SessionConflictError, re-read and retry while the session
//     is not escalated. Exactly one writer moves `escalated` from false to true: the winner.
//  2. The winner calls `createTicket` once (its idempotency key is the claim id, so a retry after a
//     timeout can be deduplicated by the ticket system) and writes `metadata.ticketId`.
//  3. Losers poll the session (bounded) until `ticketId` appears and report the same ticket.
//  4. If ticket creation fails, the winner releases the claim (`escalated: false`, `escalationError`),
//     so a later escalating turn tries again; waiting losers see the release and report the failure.
//  5. A claim older than `staleAfterMs` with no ticket (its instance died) may be taken over the same
//     way, version-checked. A takeover, and a retry after a failed createTicket, reuse the earlier
//     idempotency key, so a deduplicating ticket system still opens one ticket.
// Store cost: nothing once the session holds a ticket (getOrCreate already returned it); 2 commands for
// an uncontended first escalation (claim + ticket write); a re-read per conflict and one read per poll
// for concurrent losers.
import { randomUUID } from 'node:crypto';
import { isPlainObject } from '../codec/json.js';
import type { SessionData } from '../codec/SessionData.js';
import { isSessionConflictError } from '../errors/errors.js';
import type { SessionStore } from '../store/SessionStore.js';
import { raceAbort, sleep } from './abort.js';
import { isOperationAbortedError } from './errors.js';

export interface EscalationClaimOptions {
  /** How long a turn that lost the claim waits for the winner's ticket id, in milliseconds. Default 15,000. */
  waitMs?: number;
  /** Interval between the loser's reads of the session while it waits, in milliseconds. Default 50. */
  pollIntervalMs?: number;
  /**
   * Age after which a claim with no ticket is presumed abandoned (its process died) and may be taken
   * over, in milliseconds. Must exceed the longest createTicket call including retries. Default 120,000.
   */
  staleAfterMs?: number;
  /** Claim attempts (each after a version conflict) before a turn gives up and waits instead. Default 100. */
  maxClaimAttempts?: number;
}

export type EscalationOutcome =
  | { status: 'created' | 'existing'; ticketId: string }
  | { status: 'pending' }
  | { status: 'failed'; error: string };

interface Claim {
  id: string;
  at: number;
}

function readClaim(session: SessionData): Claim | undefined {
  const value = session.metadata.escalationClaim;
  if (!isPlainObject(value)) return undefined;
  const { id, at } = value;
  return typeof id === 'string' && typeof at === 'number' ? { id, at } : undefined;
}

/**
 * The id for a new claim on `session`. A claim taken over from a dead instance, or made after a failed
 * createTicket, reuses the earlier id: that createTicket may have opened a ticket before it failed or
 * timed out, and a ticket system deduplicating on the idempotency key then returns that same ticket.
 */
function claimIdFor(session: SessionData): string {
  const abandoned = session.escalated ? readClaim(session)?.id : undefined;
  if (abandoned !== undefined) return abandoned;
  const failure = session.metadata.escalationError;
  if (isPlainObject(failure)) {
    const key = failure.idempotencyKey;
    if (typeof key === 'string' && key !== '') return key;
  }
  return randomUUID();
}

/** The session's ticket id, when it has one. */
export function ticketIdOf(session: SessionData): string | undefined {
  const value = session.metadata.ticketId;
  return typeof value === 'string' ? value : undefined;
}

export class EscalationCoordinator {
  readonly #store: SessionStore;
  readonly #waitMs: number;
  readonly #pollIntervalMs: number;
  readonly #staleAfterMs: number;
  readonly #maxClaimAttempts: number;

  constructor(store: SessionStore, options: EscalationClaimOptions = {}) {
    const { waitMs = 15_000, pollIntervalMs = 50, staleAfterMs = 120_000, maxClaimAttempts = 100 } = options;
    for (const [name, value] of Object.entries({ waitMs, pollIntervalMs, staleAfterMs, maxClaimAttempts })) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
        throw new TypeError(`escalationClaim.${name} option must be a positive number`);
      }
    }
    this.#store = store;
    this.#waitMs = waitMs;
    this.#pollIntervalMs = pollIntervalMs;
    this.#staleAfterMs = staleAfterMs;
    this.#maxClaimAttempts = maxClaimAttempts;
  }

  /**
   * Makes sure the session has exactly one ticket. `seen` is the session as getOrCreate returned it
   * (before this turn's increment). `createTicket` receives the claim id as idempotency key and is called
   * only by the claim's winner. Store errors propagate; a createTicket failure becomes `failed`.
   */
  async escalate(
    seen: SessionData,
    reasons: string[],
    createTicket: (idempotencyKey: string) => Promise<string>,
    signal: AbortSignal | undefined,
    // A takeover after a stale claim keeps the first call's deadline, so the whole wait stays within waitMs.
    deadline = Date.now() + this.#waitMs,
  ): Promise<EscalationOutcome> {
    const existing = ticketIdOf(seen);
    if (seen.escalated && existing !== undefined) return { status: 'existing', ticketId: existing };
    const id = seen.sessionId;
    let current: SessionData | null = seen;
    let expectedVersion = seen.escalated ? undefined : seen.version + 1;
    for (let attempt = 0; attempt < this.#maxClaimAttempts; attempt += 1) {
      if (expectedVersion === undefined) {
        current = await raceAbort(this.#store.get(id, { touch: false }), signal);
        if (current === null) return { status: 'failed', error: 'the session expired during escalation' };
        const ticketId = ticketIdOf(current);
        if (current.escalated && ticketId !== undefined) return { status: 'existing', ticketId };
        if (current.escalated && !this.#isStale(current)) {
          if (Date.now() >= deadline) return { status: 'pending' };
          return this.#waitForTicket(id, deadline, signal, () =>
            this.escalate(seen, reasons, createTicket, signal, deadline),
          );
        }
        expectedVersion = current.version;
      }
      const claim: Claim = { id: claimIdFor(current), at: Date.now() };
      let claimed: SessionData | null;
      try {
        // Not raced against the turn's signal: a claim written after we stopped listening would sit
        // unfulfilled until it went stale. The store bounds the call's duration itself.
        claimed = await this.#store.update(
          id,
          {
            escalated: true,
            // A ticket left from an earlier, since de-escalated episode must not be reported for this one.
            metadata: { escalationClaim: { ...claim }, escalationError: undefined, ticketId: undefined },
          },
          { expectedVersion },
        );
      } catch (error) {
        if (!isSessionConflictError(error)) throw error;
        expectedVersion = undefined;
        continue;
      }
      if (claimed === null) return { status: 'failed', error: 'the session expired during escalation' };
      return this.#fulfil(id, claim, reasons, createTicket);
    }
    return { status: 'pending' };
  }

  #isStale(session: SessionData): boolean {
    const claim = readClaim(session);
    // An escalated session with neither claim nor ticket was escalated by hand (e.g. an admin `update`):
    // treat it like an abandoned claim, so it gets its ticket.
    return claim === undefined || Date.now() - claim.at >= this.#staleAfterMs;
  }

  async #fulfil(
    id: string,
    claim: Claim,
    reasons: string[],
    createTicket: (idempotencyKey: string) => Promise<string>,
  ): Promise<EscalationOutcome> {
    let ticketId: string;
    try {
      ticketId = await createTicket(claim.id);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await this.#release(id, claim, message);
      // The turn was aborted: the claim is given back, and the abort still ends the turn.
      if (isOperationAbortedError(error)) throw error;
      return { status: 'failed', error: message };
    }
    // Written without a version check: the claim is ours, and concurrent message counting must not make
    // this write fail. Not raced against the turn's signal: a ticket that exists must be recorded.
    await this.#store.update(id, {
      escalated: true,
      metadata: {
        ticketId,
        escalatedAt: new Date().toISOString(),
        escalationReasons: reasons,
        escalationClaim: undefined,
      },
    });
    return { status: 'created', ticketId };
  }

  /** Gives the claim back after a failed createTicket, unless someone took it over meanwhile. */
  async #release(id: string, claim: Claim, message: string): Promise<void> {
    for (let attempt = 0; attempt < this.#maxClaimAttempts; attempt += 1) {
      const current = await this.#store.get(id, { touch: false });
      if (current === null || readClaim(current)?.id !== claim.id) return;
      try {
        await this.#store.update(
          id,
          {
            escalated: false,
            metadata: {
              escalationClaim: undefined,
              escalationError: {
                message: message.slice(0, 500),
                at: new Date().toISOString(),
                idempotencyKey: claim.id,
              },
            },
          },
          { expectedVersion: current.version },
        );
        return;
      } catch (error) {
        if (!isSessionConflictError(error)) throw error;
      }
    }
  }

  async #waitForTicket(
    id: string,
    deadline: number,
    signal: AbortSignal | undefined,
    retakeOver: () => Promise<EscalationOutcome>,
  ): Promise<EscalationOutcome> {
    while (Date.now() < deadline) {
      await sleep(Math.min(this.#pollIntervalMs, Math.max(0, deadline - Date.now())), signal);
      const current = await raceAbort(this.#store.get(id, { touch: false }), signal);
      if (current === null) return { status: 'failed', error: 'the session expired during escalation' };
      const ticketId = ticketIdOf(current);
      if (ticketId !== undefined && current.escalated) return { status: 'existing', ticketId };
      if (!current.escalated) {
        const failure = current.metadata.escalationError;
        const message = isPlainObject(failure)
          ? String(failure.message ?? 'ticket creation failed')
          : 'ticket creation failed';
        return { status: 'failed', error: message };
      }
      if (this.#isStale(current)) return retakeOver();
    }
    return { status: 'pending' };
  }
}
