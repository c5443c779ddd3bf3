// The escalation record: the session metadata keys of the exactly-once escalation protocol, and every
// read and write of them. The agent and the EscalationCoordinator go through this module only, so the
// keys and their shapes are defined once.
//
//   escalationClaim   { id, at }  a turn's claim while it creates the ticket; `at` in ms since the epoch
//   ticketId          string      the session's one ticket
//   escalatedAt       ISO-8601    when the ticket was recorded
//   escalationReasons string[]    why the session was escalated
//   escalationError   { message, at, idempotencyKey }  the last failed createTicket, for the next try
import { isPlainObject } from '../codec/json.js';
import type { SessionData, SessionPatch } from '../codec/SessionData.js';

export const ESCALATION_KEYS = Object.freeze({
  claim: 'escalationClaim',
  ticketId: 'ticketId',
  escalatedAt: 'escalatedAt',
  reasons: 'escalationReasons',
  error: 'escalationError',
} as const);

/** A turn's claim on creating the session's ticket. */
export interface Claim {
  /** Also the createTicket idempotency key. */
  id: string;
  /** When it was made, in milliseconds since the epoch: compared across instances, so a wall clock. */
  at: number;
}

/** Longest failure message kept in the record, in characters. */
const ERROR_MESSAGE_CHARS = 500;

export function readClaim(session: SessionData): Claim | undefined {
  const value = session.metadata[ESCALATION_KEYS.claim];
  if (!isPlainObject(value)) return undefined;
  const { id, at } = value;
  return typeof id === 'string' && typeof at === 'number' ? { id, at } : undefined;
}

/** The session's ticket id, when it has one. */
export function ticketIdOf(session: SessionData): string | undefined {
  const value = session.metadata[ESCALATION_KEYS.ticketId];
  return typeof value === 'string' ? value : undefined;
}

/** The reasons recorded with the ticket (or by the turn that escalated); non-strings are dropped. */
export function storedReasons(session: SessionData): string[] {
  const value = session.metadata[ESCALATION_KEYS.reasons];
  return Array.isArray(value) ? value.filter((r): r is string => typeof r === 'string') : [];
}

/** Why the last ticket creation failed, as recorded by the turn that released its claim. */
export function failureMessageOf(session: SessionData): string {
  const failure = session.metadata[ESCALATION_KEYS.error];
  return isPlainObject(failure)
    ? String(failure.message ?? 'ticket creation failed')
    : 'ticket creation failed';
}

/**
 * The idempotency key a new claim on `session` must reuse, if any. A claim taken over from a dead
 * instance, or made after a failed createTicket, reuses the earlier id: that createTicket may have opened
 * a ticket before it failed or timed out, and a ticket system deduplicating on the key returns that one.
 */
export function reusableClaimId(session: SessionData): string | undefined {
  const abandoned = session.escalated ? readClaim(session)?.id : undefined;
  if (abandoned !== undefined) return abandoned;
  const failure = session.metadata[ESCALATION_KEYS.error];
  if (isPlainObject(failure)) {
    const key = failure.idempotencyKey;
    if (typeof key === 'string' && key !== '') return key;
  }
  return undefined;
}

/** Takes the claim. A ticket left from an earlier, since de-escalated episode is cleared with it. */
export function claimPatch(claim: Claim): SessionPatch {
  return {
    escalated: true,
    metadata: {
      [ESCALATION_KEYS.claim]: { ...claim },
      [ESCALATION_KEYS.error]: undefined,
      [ESCALATION_KEYS.ticketId]: undefined,
    },
  };
}

/** Records the ticket and drops the claim; `at` in milliseconds since the epoch. */
export function ticketPatch(ticketId: string, reasons: string[], at: number): SessionPatch {
  return {
    escalated: true,
    metadata: {
      [ESCALATION_KEYS.ticketId]: ticketId,
      [ESCALATION_KEYS.escalatedAt]: new Date(at).toISOString(),
      [ESCALATION_KEYS.reasons]: reasons,
      [ESCALATION_KEYS.claim]: undefined,
    },
  };
}

/** Gives the claim back after a failed createTicket, keeping its key for the next try. */
export function releasePatch(claim: Claim, message: string, at: number): SessionPatch {
  return {
    escalated: false,
    metadata: {
      [ESCALATION_KEYS.claim]: undefined,
      [ESCALATION_KEYS.error]: {
        message: message.slice(0, ERROR_MESSAGE_CHARS),
        at: new Date(at).toISOString(),
        idempotencyKey: claim.id,
      },
    },
  };
}
