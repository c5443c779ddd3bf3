// What a backend needs to store history the way every store does: the context a history write carries,
// the errors for its outcomes, the item-count arithmetic, and an operation-id log for backends that keep
// history in process memory or in a row. Exported for custom backends so they stay in step with ours.
import { randomUUID } from 'node:crypto';
import { SessionConflictError, SessionValidationError } from '../errors/errors.js';
import { type EncodedItem, payloadDigest, validateOperationId } from './items.js';
import type { ResolvedStoreOptions } from './types.js';
import type { NormalizedInput } from './validation.js';

/** What to do when a write would take a log past `maxItems`. */
export type ItemsOverflow = 'reject' | 'trimOldest';

/** An `operationId` a caller gave to a history write. */
export interface HistoryOperation {
  id: string;
  /** Digest of the method, its items and its suffix: the same id with another digest is a conflict. */
  digest: string;
  /** How long the backend remembers the id and its outcome, in ms (`operationIdTtlSeconds`). */
  ttlMs: number;
}

/** What `doAppendItems` and `doReplaceItems` receive besides the items. */
export interface HistoryWriteContext {
  /** The session to create when it is absent: what `getOrCreate(id)` would create (fresh threadId). */
  init: NormalizedInput;
  /**
   * TTL of this write in ms, which the session then remembers (as `set` and `touch` do); undefined:
   * the session's remembered TTL, or the store's default for a new session.
   */
  ttlMs: number | undefined;
  /** Present when the caller gave an `operationId`. */
  operation: HistoryOperation | undefined;
  /** Most items the log may hold after the write. */
  maxItems: number;
  overflow: ItemsOverflow;
}

/**
 * What an append or replace creates when the session is absent: an empty session on `threadId` (a fresh
 * object per call, so no caller shares the metadata).
 */
export function absentSessionInit(threadId: string | null): NormalizedInput {
  return {
    userId: null,
    threadId,
    messageCount: 0,
    escalated: false,
    metadata: {},
    requestId: null,
    createdAt: undefined,
  };
}

/**
 * The context of one appendItems or replaceItems call (the base class builds it): the session to create
 * when absent, the validated `operationId` with the digest of the payload, and the store's limits. A
 * batch that no log could take under `reject` is refused here, before the backend is asked.
 */
export function historyWriteContext(
  options: ResolvedStoreOptions,
  sessionId: string,
  operationId: unknown,
  ttlMs: number | undefined,
  method: 'appendItems' | 'replaceItems',
  items: readonly EncodedItem[],
  suffix?: readonly EncodedItem[],
): HistoryWriteContext {
  const id = validateOperationId(operationId);
  if (items.length > options.maxItems && options.itemsOverflow === 'reject') {
    throw tooManyItemsError(sessionId, items.length, options.maxItems);
  }
  const digest = id === undefined ? '' : payloadDigest(method, items, suffix);
  return {
    init: absentSessionInit(randomUUID()),
    ttlMs,
    operation: id === undefined ? undefined : { id, digest, ttlMs: options.operationIdTtlMs },
    maxItems: options.maxItems,
    overflow: options.itemsOverflow,
  };
}

/** The SessionConflictError for a stale `expectedSuffix`. */
export function staleSuffixError(
  sessionId: string,
  expectedLength: number,
  storedLength: number,
): SessionConflictError {
  return new SessionConflictError(
    sessionId,
    'expectedSuffix',
    `History conflict: the last ${expectedLength} item(s) of the log are not the expectedSuffix given ` +
      `(the log holds ${storedLength}); nothing was written`,
  );
}

/** The SessionConflictError for an `operationId` reused with a different payload. */
export function operationConflictError(sessionId: string, operationId: string): SessionConflictError {
  return new SessionConflictError(
    sessionId,
    'operationId',
    `History conflict: operationId ${JSON.stringify(operationId.slice(0, 64))} was already used on this ` +
      'session with a different method, items or expectedSuffix; nothing was written',
  );
}

/** The SessionValidationError for a log that would hold more than `maxItems`. */
export function tooManyItemsError(
  sessionId: string,
  length: number,
  maxItems: number,
): SessionValidationError {
  return new SessionValidationError(
    `The history of session ${JSON.stringify(sessionId.slice(0, 64))} would hold ${length} items, over ` +
      `the maxItems limit of ${maxItems}; nothing was stored (itemsOverflow: 'trimOldest' drops the oldest instead)`,
    { field: 'maxItems' },
  );
}

/**
 * How many of the oldest items a write must drop so that a log of `length` items fits `maxItems`: 0 when
 * it fits. Throws tooManyItemsError when it does not fit and `overflow` is `reject`.
 */
export function itemsToTrim(
  sessionId: string,
  length: number,
  maxItems: number,
  overflow: ItemsOverflow,
): number {
  if (length <= maxItems) return 0;
  if (overflow === 'reject') throw tooManyItemsError(sessionId, length, maxItems);
  return length - maxItems;
}

/** Whether the log ends with `suffix` (encoded items: deep JSON equality is string equality). */
export function endsWith(log: readonly EncodedItem[], suffix: readonly EncodedItem[]): boolean {
  if (suffix.length > log.length) return false;
  const start = log.length - suffix.length;
  for (let i = 0; i < suffix.length; i++) if (log[start + i] !== suffix[i]) return false;
  return true;
}

/**
 * The operation ids one session remembers, with the outcome each first returned. For backends that keep
 * the log in memory or in a row; a backend keeps one per session and drops it with the session's items.
 */
export class OperationLog {
  // Insertion order is expiry order as long as the clock does not run backwards: pruning stops early.
  readonly #entries = new Map<string, { digest: string; result: number; expiresAtMs: number }>();

  /**
   * The first outcome of `operation` when it was already applied, else undefined. Throws the conflict
   * when the id was used with another payload.
   */
  replay(sessionId: string, operation: HistoryOperation | undefined, nowMs: number): number | undefined {
    if (operation === undefined) return undefined;
    const seen = this.#entries.get(operation.id);
    if (seen === undefined || seen.expiresAtMs <= nowMs) return undefined;
    if (seen.digest !== operation.digest) throw operationConflictError(sessionId, operation.id);
    return seen.result;
  }

  /** Remembers the outcome of a write that carried `operation`, and forgets ids past their time. */
  record(operation: HistoryOperation | undefined, result: number, nowMs: number): void {
    for (const [id, entry] of this.#entries) {
      if (entry.expiresAtMs > nowMs) break;
      this.#entries.delete(id);
    }
    if (operation === undefined) return;
    this.#entries.delete(operation.id);
    this.#entries.set(operation.id, {
      digest: operation.digest,
      result,
      expiresAtMs: nowMs + operation.ttlMs,
    });
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Plain entries, for a backend that stores the log as data (e.g. inside a JSON row). */
  toJSON(): [string, string, number, number][] {
    return [...this.#entries].map(([id, e]) => [id, e.digest, e.result, e.expiresAtMs]);
  }

  static fromJSON(entries: readonly [string, string, number, number][]): OperationLog {
    const log = new OperationLog();
    for (const [id, digest, result, expiresAtMs] of entries)
      log.#entries.set(id, { digest, result, expiresAtMs });
    return log;
  }
}
