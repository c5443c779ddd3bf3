// What InMemorySessionStore keeps per session: the record, its expiry and its history, and the copy a
// write changes before it takes the stored record's place.
import type { SessionData } from '../codec/SessionData.js';
import type { OperationLog } from '../store/history.js';
import type { EncodedItem } from '../store/items.js';

export interface Entry {
  session: SessionData;
  ttlMs: number;
  expiresAtMs: number;
  /**
   * Time of this entry's earliest node in the expiry heap; never later than `expiresAtMs`. A slide that
   * moves expiry later pushes nothing: the early node surfaces first and is pushed again at the new expiry.
   */
  scheduledMs: number;
  /** The history, oldest first, as canonical JSON text: decoding on read hands out fresh copies. */
  items: EncodedItem[];
  /** Operation ids of history writes; created on first use. */
  operations: OperationLog | undefined;
}

/**
 * A copy of a stored session for a write to change and then take its place. Writes replace top-level
 * fields and metadata keys and never change a value in place (applyPatch, applyCounter), so copying those
 * two levels is enough; nested values stay shared with the record being replaced.
 */
export function draftOf(session: SessionData): SessionData {
  // Spread defines own data properties: a `__proto__` metadata key stays plain data.
  return { ...session, metadata: { ...session.metadata } };
}
