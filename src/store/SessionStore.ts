// The abstract class every backend extends. The public methods validate their input, refuse calls after
// close() and then call one protected hook; a backend implements the hooks (storage only) and inherits
// every check, so all backends reject the same inputs with the same errors.
import { randomUUID } from 'node:crypto';
import type { JsonObject } from '../codec/json.js';
import type { SessionData, SessionInput, SessionPatch } from '../codec/SessionData.js';
import { SessionStoreClosedError, SessionStoreError, SessionValidationError } from '../errors/errors.js';
import { type Logger, silentLogger } from '../logger.js';
import {
  type HistoryOperation,
  type HistoryWriteContext,
  type ItemsOverflow,
  tooManyItemsError,
} from './history.js';
import {
  decodeItem,
  decodeItems,
  type EncodedItem,
  encodeItems,
  payloadDigest,
  validateOperationId,
} from './items.js';
import {
  type NormalizedInput,
  type NormalizedPatch,
  validateCounterField,
  validateInput,
  validateListOptions,
  validateOptionsObject,
  validatePatch,
  validateSafeInteger,
  validateSessionId,
  validateTtl,
} from './validation.js';

/** Options every built-in store accepts. */
export interface SessionStoreOptions {
  /** TTL for sessions written without `ttlSeconds`, in seconds; fractions allowed. Default 1800. */
  defaultTtlSeconds?: number;
  /** Absolute cap on a session's life, in seconds from `createdAt`; no touch extends past it. Default: none. */
  maxLifetimeSeconds?: number;
  /** Whether `get` slides the TTL when the call does not say. Default true. */
  touchOnGet?: boolean;
  /** Largest encoded session (UTF-8 JSON bytes); larger writes throw SessionValidationError. Default 1 MiB. */
  maxSessionBytes?: number;
  /** Where the store logs. Default: silent. */
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
  /** Slide the TTL and set `lastActivity`, atomically with the read. Default: the store's `touchOnGet`. */
  touch?: boolean;
}

export interface TtlOptions {
  /** TTL in seconds for this write; the session remembers it for later slides. Default: the session's own TTL, else the store's default. */
  ttlSeconds?: number;
}

export interface UpdateOptions {
  /** Write only when the stored version equals this; otherwise throw SessionConflictError. */
  expectedVersion?: number;
}

export interface ListOptions {
  /** Most ids to return. Default 100. */
  limit?: number;
  /** Ids to skip. Default 0. */
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
  /** Only the most recent `limit` items (still oldest first); a non-negative safe integer. Default: all. */
  limit?: number;
  /** Slide the TTL and set `lastActivity`, atomically with the read. Default: the store's `touchOnGet`. */
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

/** What an append or replace creates when the session is absent (threadId set per call). */
const DEFAULT_INIT: NormalizedInput = {
  userId: null,
  threadId: null,
  messageCount: 0,
  escalated: false,
  metadata: {},
  requestId: null,
  createdAt: undefined,
};

export abstract class SessionStore implements AsyncDisposable {
  /** Short backend name reported by `getStats()`, e.g. `memory` or `redis`. */
  abstract readonly storeType: string;

  protected readonly options: ResolvedStoreOptions;
  protected readonly logger: Logger;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(options: SessionStoreOptions = {}) {
    const o = validateOptionsObject(options, 'options') as SessionStoreOptions;
    const { defaultTtlSeconds = DEFAULT_TTL_SECONDS, maxLifetimeSeconds, touchOnGet = true } = o;
    const { maxSessionBytes = DEFAULT_MAX_SESSION_BYTES, logger = silentLogger } = o;
    const { maxItems = DEFAULT_MAX_ITEMS, maxItemBytes = DEFAULT_MAX_ITEM_BYTES } = o;
    const { itemsOverflow = 'reject', operationIdTtlSeconds = DEFAULT_OPERATION_ID_TTL_SECONDS } = o;
    if (itemsOverflow !== 'reject' && itemsOverflow !== 'trimOldest') {
      throw new SessionValidationError("itemsOverflow option must be 'reject' or 'trimOldest'", {
        field: 'itemsOverflow',
      });
    }
    if (typeof touchOnGet !== 'boolean') {
      throw new SessionValidationError('touchOnGet option must be a boolean', { field: 'touchOnGet' });
    }
    this.options = {
      defaultTtlMs: validateTtl(defaultTtlSeconds, 'defaultTtlSeconds') as number,
      maxLifetimeMs: validateTtl(maxLifetimeSeconds, 'maxLifetimeSeconds'),
      touchOnGet,
      maxSessionBytes: validateSafeInteger(maxSessionBytes, 'maxSessionBytes', 1),
      maxItems: validateSafeInteger(maxItems, 'maxItems', 1),
      maxItemBytes: validateSafeInteger(maxItemBytes, 'maxItemBytes', 2),
      itemsOverflow,
      operationIdTtlMs: validateTtl(operationIdTtlSeconds, 'operationIdTtlSeconds') as number,
    };
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
    const input = validateInput(id, init, 'init');
    if (init?.threadId === undefined) input.threadId = randomUUID();
    const o = validateOptionsObject(options, 'options');
    const ttlMs = validateTtl(o.ttlSeconds);
    const limit = validateSafeInteger(o.historyLimit ?? DEFAULT_HISTORY_LIMIT, 'historyLimit', 0);
    const { session, created, items } = await this.doBeginTurn(id, input, ttlMs, limit);
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
    const o = validateOptionsObject(options, 'options');
    const encoded = encodeItems(items, 'items', this.options.maxItemBytes);
    const context = this.#writeContext(
      o.operationId,
      validateTtl(o.ttlSeconds),
      'appendItems',
      encoded,
      undefined,
    );
    if (encoded.length > context.maxItems && context.overflow === 'reject') {
      // No stored log can take this batch: refuse before asking the backend.
      throw tooManyItemsError(id, encoded.length, context.maxItems);
    }
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
    const o = validateOptionsObject(options, 'options');
    const encoded = encodeItems(replacement, 'replacement', this.options.maxItemBytes);
    const suffix =
      o.expectedSuffix === undefined ? undefined : encodeItems(o.expectedSuffix, 'expectedSuffix');
    const context = this.#writeContext(o.operationId, undefined, 'replaceItems', encoded, suffix);
    if (encoded.length > context.maxItems && context.overflow === 'reject') {
      throw tooManyItemsError(id, encoded.length, context.maxItems);
    }
    return await this.doReplaceItems(id, encoded, suffix, context);
  }

  /** Removes every item and forgets the session's operation ids; keeps the session. Returns how many. */
  async clearItems(sessionId: string): Promise<number> {
    this.assertOpen();
    return await this.doClearItems(validateSessionId(sessionId));
  }

  #writeContext(
    operationId: unknown,
    ttlMs: number | undefined,
    method: 'appendItems' | 'replaceItems',
    items: readonly EncodedItem[],
    suffix: readonly EncodedItem[] | undefined,
  ): HistoryWriteContext {
    const opId = validateOperationId(operationId);
    const operation: HistoryOperation | undefined =
      opId === undefined
        ? undefined
        : { id: opId, digest: payloadDigest(method, items, suffix), ttlMs: this.options.operationIdTtlMs };
    return {
      init: { ...DEFAULT_INIT, metadata: {}, threadId: randomUUID() },
      ttlMs,
      operation,
      maxItems: this.options.maxItems,
      overflow: this.options.itemsOverflow,
    };
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
    if (bytes > this.options.maxSessionBytes) {
      throw new SessionValidationError(
        `Session ${JSON.stringify(sessionId.slice(0, 64))} would be ${bytes} bytes encoded, over the ` +
          `maxSessionBytes limit of ${this.options.maxSessionBytes}; nothing was stored`,
        { field: 'maxSessionBytes' },
      );
    }
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
    for (let attempt = 1; ; attempt++) {
      const { created } = await this.doGetOrCreate(id, init, ttlMs);
      const counted = await this.doIncrementCounter(id, 'messageCount', 1);
      const session = counted === null ? null : await this.doGet(id, false);
      if (session !== null) {
        const items = historyLimit === 0 ? [] : await this.doGetItems(id, historyLimit, false);
        return { session, created, items };
      }
      if (attempt >= 3) {
        throw new SessionStoreError(
          `Session ${JSON.stringify(id.slice(0, 64))} kept disappearing during beginTurn`,
        );
      }
    }
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
