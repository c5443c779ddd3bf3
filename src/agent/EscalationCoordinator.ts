// Exactly-once escalation over the public SessionStore API, across concurrent turns and instances. The
// metadata it reads and writes is defined in escalationRecord.ts.
//
//  1. Claim: `update(id, claimPatch, { expectedVersion })`. The caller passes the version its own last
//     write produced; it matches exactly when nothing else wrote since, which also proves the session is
//     still as the caller saw it (not escalated). On SessionConflictError, or with no version, read the
//     session and retry while it is not escalated. Exactly one writer moves `escalated` from false to
//     true: the winner.
//  2. The winner calls `createTicket` once (its idempotency key is the claim id, so a retry after a
//     timeout can be deduplicated by the ticket system) and records the ticket.
//  3. Losers poll the session (bounded) until the ticket appears and report the same ticket.
//  4. If ticket creation fails, the winner releases the claim (`escalated: false`, with the error), so a
//     later escalating turn tries again; waiting losers see the release and report the failure.
//  5. A claim older than `staleAfterMs` with no ticket (its instance died) may be taken over the same
//     way, version-checked. A takeover, and a retry after a failed createTicket, reuse the earlier
//     idempotency key, so a deduplicating ticket system still opens one ticket.
// Store cost: nothing once the session holds a ticket; 2 commands for an uncontended first escalation
// (claim + ticket write); a read per conflict and one read per poll for concurrent losers.
import { randomUUID } from 'node:crypto';
import type { SessionData } from '../codec/SessionData.js';
import { isSessionConflictError } from '../errors/errors.js';
import type { SessionStore } from '../store/SessionStore.js';
import { raceAbort, sleep } from './abort.js';
import { isOperationAbortedError } from './errors.js';
import {
  type Claim,
  claimPatch,
  failureMessageOf,
  readClaim,
  releasePatch,
  reusableClaimId,
  ticketIdOf,
  ticketPatch,
} from './escalationRecord.js';
import { redactError } from './facts.js';
import { finiteNumber, optionalFunction, withDefaults } from './optionChecks.js';

export interface EscalationClaimOptions {
  /**
   * How long a turn that lost the claim waits for the winner's ticket id, in milliseconds.
   * @default 15000
   */
  waitMs?: number;
  /**
   * Interval between the loser's reads of the session while it waits, in milliseconds.
   * @default 50
   */
  pollIntervalMs?: number;
  /**
   * Age after which a claim with no ticket is presumed abandoned (its process died) and may be taken
   * over, in milliseconds. Must exceed the longest createTicket call including retries.
   * @default 120000
   */
  staleAfterMs?: number;
  /**
   * Claim attempts (each after a version conflict) before a turn gives up and waits instead.
   * @default 100
   */
  maxClaimAttempts?: number;
}

export const ESCALATION_CLAIM_DEFAULTS: Required<EscalationClaimOptions> = Object.freeze({
  waitMs: 15_000,
  pollIntervalMs: 50,
  staleAfterMs: 120_000,
  maxClaimAttempts: 100,
});

export type EscalationOutcome =
  | { status: 'created' | 'existing'; ticketId: string }
  | { status: 'pending' }
  | { status: 'failed'; error: string };

/** One escalation attempt, as the agent's turn describes it. */
export interface EscalationRequest {
  /** The freshest state of the session the caller knows. */
  session: SessionData;
  /**
   * The stored version `session` describes, after the caller's own writes; undefined when the caller
   * cannot know it (the coordinator then reads the session first). Not used when `session` is escalated.
   */
  expectedVersion: number | undefined;
  reasons: string[];
  /** Receives the claim id as idempotency key; called only by the claim's winner. */
  createTicket: (idempotencyKey: string) => Promise<string>;
  signal: AbortSignal | undefined;
}

const EXPIRED = 'the session expired during escalation';

export class EscalationCoordinator {
  readonly #store: Pick<SessionStore, 'get' | 'update'>;
  readonly #options: Required<EscalationClaimOptions>;
  readonly #now: () => number;

  /**
   * `now` reads the wall clock in milliseconds since the epoch (claims carry it and are compared across
   * instances). Throws SessionValidationError on a bad option.
   */
  constructor(
    store: Pick<SessionStore, 'get' | 'update'>,
    options: EscalationClaimOptions = {},
    now: () => number = Date.now,
  ) {
    this.#options = withDefaults(ESCALATION_CLAIM_DEFAULTS, options);
    for (const [name, value] of Object.entries(this.#options)) finiteNumber(value, `escalationClaim.${name}`);
    this.#store = store;
    this.#now = optionalFunction(now, 'now') ?? Date.now;
  }

  /**
   * Makes sure the session has exactly one ticket. Store errors propagate; a createTicket failure becomes
   * `failed`.
   */
  escalate(request: EscalationRequest): Promise<EscalationOutcome> {
    return this.#escalate(request, this.#now() + this.#options.waitMs);
  }

  /** `deadline` (epoch ms) is kept by a takeover after a stale claim, so the whole wait stays within waitMs. */
  async #escalate(request: EscalationRequest, deadline: number): Promise<EscalationOutcome> {
    const { session, reasons, createTicket, signal } = request;
    const existing = ticketIdOf(session);
    if (session.escalated && existing !== undefined) return { status: 'existing', ticketId: existing };
    const id = session.sessionId;
    let current: SessionData | null = session;
    let expectedVersion = session.escalated ? undefined : request.expectedVersion;
    for (let attempt = 0; attempt < this.#options.maxClaimAttempts; attempt += 1) {
      if (expectedVersion === undefined) {
        current = await raceAbort(this.#store.get(id, { touch: false }), signal);
        if (current === null) return { status: 'failed', error: EXPIRED };
        const ticketId = ticketIdOf(current);
        if (current.escalated && ticketId !== undefined) return { status: 'existing', ticketId };
        if (current.escalated && !this.#isStale(current)) {
          if (this.#now() >= deadline) return { status: 'pending' };
          return this.#waitForTicket(id, deadline, signal, () => this.#escalate(request, deadline));
        }
        expectedVersion = current.version;
      }
      const claim: Claim = { id: reusableClaimId(current) ?? randomUUID(), at: this.#now() };
      let claimed: SessionData | null;
      try {
        // Not raced against the turn's signal: a claim written after we stopped listening would sit
        // unfulfilled until it went stale. The store bounds the call's duration itself.
        claimed = await this.#store.update(id, claimPatch(claim), { expectedVersion });
      } catch (error) {
        if (!isSessionConflictError(error)) throw error;
        expectedVersion = undefined;
        continue;
      }
      if (claimed === null) return { status: 'failed', error: EXPIRED };
      return this.#fulfil(id, claim, reasons, createTicket);
    }
    return { status: 'pending' };
  }

  #isStale(session: SessionData): boolean {
    const claim = readClaim(session);
    // An escalated session with neither claim nor ticket was escalated by hand (e.g. an admin `update`):
    // treat it like an abandoned claim, so it gets its ticket.
    return claim === undefined || this.#now() - claim.at >= this.#options.staleAfterMs;
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
      // Redacted before it is stored (and cut, in releasePatch): the store is outside the library too.
      const message = redactError(error);
      await this.#release(id, claim, message);
      // The turn was aborted: the claim is given back, and the abort still ends the turn.
      if (isOperationAbortedError(error)) throw error;
      return { status: 'failed', error: message };
    }
    // Written without a version check: the claim is ours, and concurrent message counting must not make
    // this write fail. Not raced against the turn's signal: a ticket that exists must be recorded.
    await this.#store.update(id, ticketPatch(ticketId, reasons, this.#now()));
    return { status: 'created', ticketId };
  }

  /** Gives the claim back after a failed createTicket, unless someone took it over meanwhile. */
  async #release(id: string, claim: Claim, message: string): Promise<void> {
    for (let attempt = 0; attempt < this.#options.maxClaimAttempts; attempt += 1) {
      const current = await this.#store.get(id, { touch: false });
      if (current === null || readClaim(current)?.id !== claim.id) return;
      try {
        await this.#store.update(id, releasePatch(claim, message, this.#now()), {
          expectedVersion: current.version,
        });
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
    while (this.#now() < deadline) {
      await sleep(Math.min(this.#options.pollIntervalMs, Math.max(0, deadline - this.#now())), signal);
      const current = await raceAbort(this.#store.get(id, { touch: false }), signal);
      if (current === null) return { status: 'failed', error: EXPIRED };
      const ticketId = ticketIdOf(current);
      if (ticketId !== undefined && current.escalated) return { status: 'existing', ticketId };
      if (!current.escalated) return { status: 'failed', error: failureMessageOf(current) };
      if (this.#isStale(current)) return retakeOver();
    }
    return { status: 'pending' };
  }
}
