// The abstract class every backend extends. The public methods validate their input, refuse calls after
// close() and then call one protected hook; a backend implements the hooks (storage only) and inherits
// every check, so all backends reject the same inputs with the same errors.
import { randomUUID } from 'node:crypto';
import type { JsonObject } from '../codec/json.js';
import type { SessionData, SessionInput, SessionPatch } from '../codec/SessionData.js';
import { SessionStoreClosedError, SessionValidationError } from '../errors/errors.js';
import type { Logger } from '../logger.js';
import { beginTurnArgs, composeBeginTurn } from './beginTurn.js';
import type { HistoryWriteContext } from './history.js';
import { appendItemsArgs, replaceItemsArgs } from './historyArgs.js';
import { decodeItem, decodeItems, type EncodedItem } from './items.js';
import { resolveStoreOptions } from './options.js';
import type {
  AppendItemsOptions,
  BeginTurnOptions,
  BeginTurnRecord,
  BeginTurnResult,
  GetItemsOptions,
  GetOptions,
  GetOrCreateResult,
  HistoryItemInput,
  ListOptions,
  ReplaceItemsOptions,
  ResolvedStoreOptions,
  SessionStoreOptions,
  SessionStoreStats,
  TtlOptions,
  UpdateOptions,
} from './types.js';
import {
  type NormalizedInput,
  type NormalizedPatch,
  sessionTooLargeError,
  validateCounterField,
  validateInput,
  validateListOptions,
  validateOptionsObject,
  validatePatch,
  validateSafeInteger,
  validateSessionId,
  validateTtl,
} from './validation.js';

export * from './types.js';

// Outer names for the namespace below (inside it, a member would shadow the interface it aliases).
type OuterGetOptions = GetOptions;
type OuterTtlOptions = TtlOptions;
type OuterUpdateOptions = UpdateOptions;
type OuterListOptions = ListOptions;
type OuterGetOrCreateResult = GetOrCreateResult;
type OuterAppendItemsOptions = AppendItemsOptions;
type OuterGetItemsOptions = GetItemsOptions;
type OuterReplaceItemsOptions = ReplaceItemsOptions;
type OuterBeginTurnOptions = BeginTurnOptions;
type OuterBeginTurnResult = BeginTurnResult;

/**
 * The types that go with the class, lru-cache style: `SessionStore.Options`, `SessionStore.GetOptions`, …
 */
export declare namespace SessionStore {
  type Options = SessionStoreOptions;
  type Stats = SessionStoreStats;
  type HistoryItem = HistoryItemInput;
  type GetOptions = OuterGetOptions;
  type TtlOptions = OuterTtlOptions;
  type UpdateOptions = OuterUpdateOptions;
  type ListOptions = OuterListOptions;
  type GetOrCreateResult = OuterGetOrCreateResult;
  type AppendItemsOptions = OuterAppendItemsOptions;
  type GetItemsOptions = OuterGetItemsOptions;
  type ReplaceItemsOptions = OuterReplaceItemsOptions;
  type BeginTurnOptions = OuterBeginTurnOptions;
  type BeginTurnResult = OuterBeginTurnResult;
}

export abstract class SessionStore implements AsyncDisposable {
  /** Short backend name reported by `getStats()`, e.g. `memory` or `redis`. */
  abstract readonly storeType: string;

  protected readonly options: ResolvedStoreOptions;
  protected readonly logger: Logger;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(options: SessionStoreOptions = {}) {
    const { resolved, logger } = resolveStoreOptions(options);
    this.options = resolved;
    this.logger = logger;
  }

  /** The session, or null when it is absent or expired. */
  async get(sessionId: string, options?: GetOptions): Promise<SessionData | null> {
    this.assertOpen();
    const id = validateSessionId(sessionId);
    const touch = validateOptionsObject(options, 'options').touch ?? this.options.touchOnGet;
    if (typeof touch !== 'boolean')
      throw new SessionValidationError('touch must be a boolean', { field: 'touch' });
    return await this.doGet(id, touch);
  }

  /** Creates or replaces the session; keeps an existing `createdAt`. Returns what was stored. */
  async set(sessionId: string, data: SessionInput = {}, options?: TtlOptions): Promise<SessionData> {
    this.assertOpen();
    const id = validateSessionId(sessionId);
    const input = validateInput(id, data, 'data');
    const ttlMs = validateTtl(validateOptionsObject(options, 'options').ttlSeconds);
    return await this.doSet(id, input, ttlMs);
  }

  /** Returns the session, creating it when absent; atomic across callers and instances. */
  async getOrCreate(
    sessionId: string,
    init: SessionInput = {},
    options?: TtlOptions,
  ): Promise<GetOrCreateResult> {
    this.assertOpen();
    const id = validateSessionId(sessionId);
    const input = validateInput(id, init, 'init');
    if (init?.threadId === undefined) input.threadId = randomUUID();
    const ttlMs = validateTtl(validateOptionsObject(options, 'options').ttlSeconds);
    return await this.doGetOrCreate(id, input, ttlMs);
  }

  /** Atomic partial update; null when the session is absent. */
  async update(sessionId: string, patch: SessionPatch, options?: UpdateOptions): Promise<SessionData | null> {
    this.assertOpen();
    const id = validateSessionId(sessionId);
    const normalized = validatePatch(patch);
    const { expectedVersion } = validateOptionsObject(options, 'options');
    const expected =
      expectedVersion === undefined ? undefined : validateSafeInteger(expectedVersion, 'expectedVersion', 0);
    return await this.doUpdate(id, normalized, expected);
  }

  /**
   * Adds `delta` (a safe integer) to `messageCount` or to a metadata key (absent counts as 0) and returns
   * the new value; null when the session is absent.
   */
  async incrementCounter(sessionId: string, field: string, delta = 1): Promise<number | null> {
    this.assertOpen();
    const id = validateSessionId(sessionId);
    return await this.doIncrementCounter(
      id,
      validateCounterField(field),
      validateSafeInteger(delta, 'delta'),
    );
  }

  /**
   * Starts an agent turn: gets or creates the session (as `getOrCreate`), counts one message
   * (`messageCount` + 1, atomically, as `incrementCounter`; the returned session shows the counted state
   * and its version) and returns the most recent `historyLimit` items from before this turn.
   */
  async beginTurn(
    sessionId: string,
    init: SessionInput = {},
    options?: BeginTurnOptions,
  ): Promise<BeginTurnResult> {
    this.assertOpen();
    const id = validateSessionId(sessionId);
    const { input, ttlMs, historyLimit } = beginTurnArgs(id, init, options);
    const { session, created, items } = await this.doBeginTurn(id, input, ttlMs, historyLimit);
    return { session, created, items: decodeItems(id, items) };
  }

  /**
   * Appends `items` (JSON objects) to the session's history, in order and contiguous, creating the
   * session when absent (as `getOrCreate` would); returns the number of items after. Slides the TTL and
   * sets `lastActivity`; `version` and `updatedAt` stay.
   */
  async appendItems(
    sessionId: string,
    items: readonly HistoryItemInput[],
    options?: AppendItemsOptions,
  ): Promise<number> {
    this.assertOpen();
    const id = validateSessionId(sessionId);
    const { encoded, context } = appendItemsArgs(this.options, id, items, options);
    return await this.doAppendItems(id, encoded, context);
  }

  /** The history, oldest first; with `limit`, the most recent `limit` items. `[]` when absent. */
  async getItems(sessionId: string, options?: GetItemsOptions): Promise<JsonObject[]> {
    this.assertOpen();
    const id = validateSessionId(sessionId);
    const o = validateOptionsObject(options, 'options');
    const limit = o.limit === undefined ? undefined : validateSafeInteger(o.limit, 'limit', 0);
    const touch = o.touch ?? this.options.touchOnGet;
    if (typeof touch !== 'boolean')
      throw new SessionValidationError('touch must be a boolean', { field: 'touch' });
    return decodeItems(id, await this.doGetItems(id, limit, touch));
  }

  /** Removes and returns the newest item; null when the history is empty or the session absent. */
  async popItem(sessionId: string): Promise<JsonObject | null> {
    this.assertOpen();
    const id = validateSessionId(sessionId);
    const text = await this.doPopItem(id);
    return text === null ? null : decodeItem(id, text);
  }

  /**
   * Atomically replaces the last `expectedSuffix.length` items (the whole history when `expectedSuffix`
   * is omitted) with `replacement`; returns the number of items after. A suffix that is not the stored
   * one → SessionConflictError, nothing written. Creates an absent session unless the suffix is non-empty.
   */
  async replaceItems(
    sessionId: string,
    replacement: readonly HistoryItemInput[],
    options?: ReplaceItemsOptions,
  ): Promise<number> {
    this.assertOpen();
    const id = validateSessionId(sessionId);
    const { encoded, suffix, context } = replaceItemsArgs(this.options, id, replacement, options);
    return await this.doReplaceItems(id, encoded, suffix, context);
  }

  /** Removes every item and forgets the session's operation ids; keeps the session. Returns how many. */
  async clearItems(sessionId: string): Promise<number> {
    this.assertOpen();
    return await this.doClearItems(validateSessionId(sessionId));
  }

  /** Slides the TTL without changing data; false when the session is absent. */
  async touch(sessionId: string, options?: TtlOptions): Promise<boolean> {
    this.assertOpen();
    const id = validateSessionId(sessionId);
    return await this.doTouch(id, validateTtl(validateOptionsObject(options, 'options').ttlSeconds));
  }

  /** True when something was deleted. */
  async delete(sessionId: string): Promise<boolean> {
    this.assertOpen();
    return await this.doDelete(validateSessionId(sessionId));
  }

  async exists(sessionId: string): Promise<boolean> {
    this.assertOpen();
    return await this.doExists(validateSessionId(sessionId));
  }

  /** Ids of unexpired sessions, paginated; the order is stable while nothing changes. */
  async listActive(options?: ListOptions): Promise<string[]> {
    this.assertOpen();
    const { limit, offset } = validateListOptions(options);
    return limit === 0 ? [] : this.doListActive(limit, offset);
  }

  /** Unexpired sessions; never scans the keyspace. */
  async countActive(): Promise<number> {
    this.assertOpen();
    return await this.doCountActive();
  }

  /** Removes what expired (index entries included); returns how many sessions it removed. */
  async cleanupExpired(): Promise<number> {
    this.assertOpen();
    return await this.doCleanupExpired();
  }

  async getStats(): Promise<SessionStoreStats> {
    this.assertOpen();
    const [activeSessions, extra] = await Promise.all([this.doCountActive(), this.doStats()]);
    return { storeType: this.storeType, activeSessions, ...extra };
  }

  /** Health check; never throws. False after close(). */
  async ping(): Promise<boolean> {
    if (this.#closed) return false;
    try {
      return await this.doPing();
    } catch (error) {
      this.logger.debug('session store ping failed', { error });
      return false;
    }
  }

  /** Releases what the store owns. Idempotent; later calls reject with SessionStoreClosedError. */
  close(): Promise<void> {
    this.#closed = true;
    this.#closing ??= this.doClose();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#closed;
  }

  protected assertOpen(): void {
    if (this.#closed) throw new SessionStoreClosedError();
  }

  /** Throws SessionValidationError when `bytes` exceeds `maxSessionBytes`. */
  protected assertSize(bytes: number, sessionId: string): void {
    const limit = this.options.maxSessionBytes;
    if (bytes > limit) throw sessionTooLargeError(sessionId, bytes, limit);
  }

  // ---- Storage hooks: a backend implements these and nothing else. Inputs are already validated. ----

  /** `touch` true: slide the TTL and set lastActivity atomically with the read. */
  protected abstract doGet(id: string, touch: boolean): Promise<SessionData | null>;
  /** `ttlMs` undefined: the session's remembered TTL when it exists, else the default. */
  protected abstract doSet(
    id: string,
    input: NormalizedInput,
    ttlMs: number | undefined,
  ): Promise<SessionData>;
  /** Must be atomic: exactly one concurrent caller gets `created: true`. An existing session is touched. */
  protected abstract doGetOrCreate(
    id: string,
    input: NormalizedInput,
    ttlMs: number | undefined,
  ): Promise<GetOrCreateResult>;
  protected abstract doUpdate(
    id: string,
    patch: NormalizedPatch,
    expectedVersion: number | undefined,
  ): Promise<SessionData | null>;
  protected abstract doIncrementCounter(id: string, field: string, delta: number): Promise<number | null>;
  protected abstract doTouch(id: string, ttlMs: number | undefined): Promise<boolean>;

  /**
   * getOrCreate, then messageCount + 1, then the most recent `historyLimit` items (0: none). This default
   * composes the other hooks (correct on any backend, four calls); a backend overrides it to do all of
   * it in one atomic step. A session deleted between the steps is created again.
   */
  protected async doBeginTurn(
    id: string,
    init: NormalizedInput,
    ttlMs: number | undefined,
    historyLimit: number,
  ): Promise<BeginTurnRecord> {
    return await composeBeginTurn(id, historyLimit, {
      getOrCreate: () => this.doGetOrCreate(id, init, ttlMs),
      count: () => this.doIncrementCounter(id, 'messageCount', 1),
      read: () => this.doGet(id, false),
      items: () => this.doGetItems(id, historyLimit, false),
    });
  }

  // History hooks. Items arrive encoded (canonical JSON text, each within maxItemBytes) and leave
  // encoded: the base class decodes what the read hooks return. Every history write slides the TTL of
  // session and items together and sets lastActivity, leaving version and updatedAt alone.

  /**
   * Appends atomically, creating the session from `context.init` when absent; returns the length after.
   * With `context.operation`: a remembered id with the same digest returns its first result and writes
   * nothing; with another digest, throws `operationConflictError`. A length past `context.maxItems`
   * throws `tooManyItemsError` before anything is written (`reject`) or drops the oldest (`trimOldest`).
   */
  protected abstract doAppendItems(
    id: string,
    items: readonly EncodedItem[],
    context: HistoryWriteContext,
  ): Promise<number>;
  /** Oldest first; `limit` the most recent `limit` (0: none). `touch` as for doGet. `[]` when absent. */
  protected abstract doGetItems(
    id: string,
    limit: number | undefined,
    touch: boolean,
  ): Promise<readonly EncodedItem[]>;
  /** Removes and returns the newest item; null when the log is empty or the session absent. */
  protected abstract doPopItem(id: string): Promise<EncodedItem | null>;
  /**
   * `suffix` undefined: replace the whole log; otherwise the log must end with exactly `suffix` (string
   * equality), else `staleSuffixError` and nothing written. An absent session counts as an empty log,
   * created from `context.init` on success. Operation ids and limits as for doAppendItems.
   */
  protected abstract doReplaceItems(
    id: string,
    replacement: readonly EncodedItem[],
    suffix: readonly EncodedItem[] | undefined,
    context: HistoryWriteContext,
  ): Promise<number>;
  /** Removes every item and the session's operation ids; returns how many items; 0 when absent. */
  protected abstract doClearItems(id: string): Promise<number>;
  protected abstract doDelete(id: string): Promise<boolean>;
  protected abstract doExists(id: string): Promise<boolean>;
  protected abstract doListActive(limit: number, offset: number): Promise<string[]>;
  protected abstract doCountActive(): Promise<number>;
  protected abstract doCleanupExpired(): Promise<number>;
  /** Backend figures merged into getStats(); `storeType` and `activeSessions` are added by the base. */
  protected abstract doStats(): Promise<Record<string, unknown>>;
  protected abstract doPing(): Promise<boolean>;
  protected abstract doClose(): Promise<void>;
}
