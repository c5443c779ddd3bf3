// The public option and result types of SessionStore, and the defaults of its options. SessionStore.ts
// re-exports all of them: import them from there (or from the package).
import type { JsonObject } from '../codec/json.js';
import type { SessionData } from '../codec/SessionData.js';
import type { Logger } from '../logger.js';
import type { ItemsOverflow } from './history.js';
import type { EncodedItem } from './items.js';

/** Options every built-in store accepts. */
export interface SessionStoreOptions {
  /**
   * TTL for sessions written without `ttlSeconds`, in seconds; fractions allowed.
   * @default 1800
   */
  defaultTtlSeconds?: number;
  /**
   * Absolute cap on a session's life, in seconds from `createdAt`; no touch extends past it.
   * @default undefined (no cap)
   */
  maxLifetimeSeconds?: number;
  /**
   * Whether `get` and `getItems` slide the TTL when the call does not say.
   * @default true
   */
  touchOnGet?: boolean;
  /**
   * Largest encoded session (UTF-8 JSON bytes); larger writes throw SessionValidationError.
   * @default 1_048_576 (1 MiB)
   */
  maxSessionBytes?: number;
  /**
   * Where the store logs.
   * @default a silent logger
   */
  logger?: Logger;
  /**
   * Most items one session's history may hold; a write past it throws SessionValidationError (`field`
   * `maxItems`) and writes nothing, unless `itemsOverflow` is `trimOldest`.
   * @default 10_000
   */
  maxItems?: number;
  /**
   * Largest history item, in UTF-8 bytes of its JSON text; a larger item throws SessionValidationError
   * (`field` `maxItemBytes`) and nothing of the call is written. Items do not count toward `maxSessionBytes`.
   * @default 1_048_576 (1 MiB)
   */
  maxItemBytes?: number;
  /**
   * What a history write that would take the log past `maxItems` does: `reject` throws and writes
   * nothing; `trimOldest` writes and drops the oldest items until `maxItems` remain.
   * @default 'reject'
   */
  itemsOverflow?: ItemsOverflow;
  /**
   * How long a session remembers an `operationId` of a history write (and the outcome to replay), in
   * seconds; fractions allowed. Deleting the session or clearing its items forgets its ids sooner.
   * @default 600
   */
  operationIdTtlSeconds?: number;
}

export interface GetOptions {
  /**
   * Slide the TTL and set `lastActivity`, atomically with the read.
   * @default the store's `touchOnGet`
   */
  touch?: boolean;
}

export interface TtlOptions {
  /**
   * TTL in seconds for this write; the session remembers it for later slides.
   * @default the session's remembered TTL, else the store's `defaultTtlSeconds`
   */
  ttlSeconds?: number;
}

export interface UpdateOptions {
  /** Write only when the stored version equals this; otherwise throw SessionConflictError. */
  expectedVersion?: number;
}

export interface ListOptions {
  /** Most ids to return. @default 100 */
  limit?: number;
  /** Ids to skip. @default 0 */
  offset?: number;
}

/**
 * An item as callers pass it: a JSON object, checked at run time (so interfaces and SDK item types,
 * whose optional properties may be `undefined`, are accepted; `undefined` properties are dropped).
 * Items come back as `JsonObject`.
 */
export type HistoryItemInput = object;

export interface AppendItemsOptions {
  /**
   * Makes the call idempotent: repeated with the same id (a retry after a timeout) it is applied once and
   * returns the first outcome; the same id with other items → SessionConflictError. Per session.
   */
  operationId?: string;
  /** TTL in seconds for this write (also when it creates the session); the session remembers it. */
  ttlSeconds?: number;
}

export interface GetItemsOptions {
  /**
   * Only the most recent `limit` items (still oldest first); a non-negative safe integer.
   * @default every item
   */
  limit?: number;
  /**
   * Slide the TTL and set `lastActivity`, atomically with the read.
   * @default the store's `touchOnGet`
   */
  touch?: boolean;
}

export interface ReplaceItemsOptions {
  /**
   * The items the log must end with (deep JSON equality, key order ignored); they are replaced. Omitted:
   * the whole log is replaced. `[]`: nothing is replaced, the replacement is appended. A mismatch →
   * SessionConflictError and nothing is written.
   */
  expectedSuffix?: readonly HistoryItemInput[];
  /** As for `appendItems`; the payload is the replacement and the suffix. */
  operationId?: string;
}

export interface GetOrCreateResult {
  session: SessionData;
  /** True for exactly one of any number of concurrent callers: the one whose call created the session. */
  created: boolean;
}

export interface BeginTurnOptions extends TtlOptions {
  /** Most recent items to return; a non-negative safe integer. @default 20 */
  historyLimit?: number;
}

export interface BeginTurnResult extends GetOrCreateResult {
  /** The most recent `historyLimit` items, chronological, before this turn. */
  items: JsonObject[];
}

/** What `doBeginTurn` returns: the items still encoded (the base class decodes them). */
export interface BeginTurnRecord extends GetOrCreateResult {
  items: readonly EncodedItem[];
}

export const DEFAULT_HISTORY_LIMIT = 20;

/** `getStats()` result: the common figures plus whatever the backend adds. */
export interface SessionStoreStats {
  storeType: string;
  activeSessions: number;
  [key: string]: unknown;
}

/** The resolved common options, as backends read them. */
export interface ResolvedStoreOptions {
  defaultTtlMs: number;
  maxLifetimeMs: number | undefined;
  touchOnGet: boolean;
  maxSessionBytes: number;
  maxItems: number;
  maxItemBytes: number;
  itemsOverflow: ItemsOverflow;
  operationIdTtlMs: number;
}

export const DEFAULT_TTL_SECONDS = 1800;
export const DEFAULT_MAX_SESSION_BYTES = 1024 * 1024;
export const DEFAULT_MAX_ITEMS = 10_000;
export const DEFAULT_MAX_ITEM_BYTES = 1024 * 1024;
export const DEFAULT_OPERATION_ID_TTL_SECONDS = 600;
