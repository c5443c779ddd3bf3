// The `Session` of @openai/agents on a SessionStore's conversation log. Every method is one store call
// (history rewrites: a read and a compare-and-swap), so the history is as durable, shared and atomic as
// the store: a second process or app instance with the same store and session id continues the same
// conversation.
import { randomUUID } from 'node:crypto';
import {
  type AgentInputItem,
  applySessionHistoryMutations,
  protocol,
  type RunContext,
  type RunContextAwareSession,
  type SessionHistoryMutation,
  type SessionHistoryRewriteArgs,
  type SessionHistoryRewriteAwareSession,
  type SessionHistoryTransactionArgs,
  type SessionHistoryTransactionAwareSession,
} from '@openai/agents-core';
import type { JsonObject } from '../codec/json.js';
import { isSessionConflictError, SessionValidationError } from '../errors/errors.js';
import { type Logger, silentLogger } from '../logger.js';
import { validateSessionId, validateTtl } from '../store/validation.js';
import { dropOrphanToolOutputs, jsonEqual, refuseItem, snapshotItems, snapshotJson } from './items.js';
import type { HistoryStore } from './store.js';

export interface OpenAIAgentsSessionOptions<TContext = unknown> {
  /** The store that holds the conversation: any SessionStore (memory, Redis, a custom backend). */
  store: HistoryStore;
  /** The conversation's session id in the store. Default: a random UUID (read it with `getSessionId`). */
  sessionId?: string;
  /** TTL in seconds that appends give the session (see `appendItems`). Default: the session's own TTL, else the store's default. */
  ttlSeconds?: number;
  /** Whether reads slide the session's TTL. Default: the store's `touchOnGet`. */
  touchOnRead?: boolean;
  /**
   * Run-context awareness: the store session id to use for a call made inside a run, from the session's
   * id and that run's context (e.g. `(id, ctx) => \`${ctx?.context.tenantId}:${id}\``). The runner
   * passes the same context to every history call of a run. Calls made outside a run get `undefined`.
   * Default: the session id itself.
   */
  storeIdFor?: (sessionId: string, runContext: RunContext<TContext> | undefined) => string;
  /** Where the adapter logs (ids and counts, never item contents). Default: silent. */
  logger?: Logger;
  /** Attempts of a history rewrite's compare-and-swap before its conflict is thrown. Default 5. */
  maxRewriteAttempts?: number;
}

const HISTORY_METHODS = ['appendItems', 'getItems', 'popItem', 'replaceItems', 'clearItems'] as const;

function fail(field: string, problem: string): never {
  throw new SessionValidationError(`Invalid ${field}: ${problem}`, { field });
}

/**
 * An `@openai/agents` Session whose items live in a SessionStore. Pass it as `run(agent, input, { session })`.
 *
 * Beyond `Session` it offers the optional capabilities a durable store can keep: history transactions
 * (`applyHistoryTransaction`, idempotent by `operationId`, `replace_suffix` as a compare-and-swap), run
 * context (`acceptsRunContext`), history rewrites (`applyHistoryMutations`) and an atomic
 * `replaceHistoryWithCompaction`. Store errors (SessionValidationError, SessionConflictError,
 * SessionStoreUnavailableError, …) surface as they are.
 */
export class OpenAIAgentsSession<TContext = unknown>
  implements
    RunContextAwareSession<TContext>,
    SessionHistoryTransactionAwareSession,
    SessionHistoryRewriteAwareSession
{
  /** Tells the runner to pass its RunContext to every history call. */
  readonly acceptsRunContext = true as const;
  readonly #store: HistoryStore;
  readonly #sessionId: string;
  readonly #ttlSeconds: number | undefined;
  readonly #touch: boolean | undefined;
  readonly #storeIdFor: OpenAIAgentsSessionOptions<TContext>['storeIdFor'];
  readonly #logger: Logger;
  readonly #maxRewriteAttempts: number;

  constructor(options: OpenAIAgentsSessionOptions<TContext>) {
    if (typeof options !== 'object' || options === null) fail('options', 'expected an options object');
    const { store } = options;
    if (typeof store !== 'object' || store === null) fail('store', 'expected a SessionStore');
    for (const method of HISTORY_METHODS) {
      if (typeof store[method] !== 'function') {
        fail(
          'store',
          `the store has no ${method} method (a SessionStore with conversation history is required)`,
        );
      }
    }
    this.#store = store;
    this.#sessionId = options.sessionId === undefined ? randomUUID() : validateSessionId(options.sessionId);
    validateTtl(options.ttlSeconds);
    this.#ttlSeconds = options.ttlSeconds;
    if (options.touchOnRead !== undefined && typeof options.touchOnRead !== 'boolean') {
      fail('touchOnRead', 'expected a boolean');
    }
    this.#touch = options.touchOnRead;
    if (options.storeIdFor !== undefined && typeof options.storeIdFor !== 'function') {
      fail('storeIdFor', 'expected a function');
    }
    this.#storeIdFor = options.storeIdFor;
    this.#logger = options.logger ?? silentLogger;
    const attempts = options.maxRewriteAttempts ?? 5;
    if (!Number.isSafeInteger(attempts) || attempts < 1)
      fail('maxRewriteAttempts', 'expected a positive integer');
    this.#maxRewriteAttempts = attempts;
  }

  /** The session id given to the constructor, or the UUID generated for it. */
  async getSessionId(): Promise<string> {
    return this.#sessionId;
  }

  /**
   * The conversation, oldest first; with `limit`, the most recent `limit` items (still oldest first).
   * A tool output whose call is not in the returned items (cut by `limit`, or trimmed by the store) is
   * left out, so the result can be shorter than `limit`. `[]` for a session that does not exist.
   */
  async getItems(limit?: number, runContext?: RunContext<TContext>): Promise<AgentInputItem[]> {
    const id = this.#storeId(runContext);
    const options: { limit?: number; touch?: boolean } = {};
    if (limit !== undefined) options.limit = limit;
    if (this.#touch !== undefined) options.touch = this.#touch;
    const items = dropOrphanToolOutputs(await this.#store.getItems(id, options));
    this.#logger.debug('openai-agents session read', { sessionId: id, items: items.length });
    return items as unknown as AgentInputItem[];
  }

  /** Appends `items` in order, as one atomic store write. Creates the session when it does not exist. */
  async addItems(items: AgentInputItem[], runContext?: RunContext<TContext>): Promise<void> {
    if (!Array.isArray(items)) fail('items', 'expected an array of items');
    if (items.length === 0) return;
    const id = this.#storeId(runContext);
    const length = await this.#store.appendItems(id, items as unknown as JsonObject[], this.#appendOptions());
    this.#logger.debug('openai-agents session append', { sessionId: id, items: items.length, length });
  }

  /** Removes and returns the newest item; `undefined` when there is none. */
  async popItem(runContext?: RunContext<TContext>): Promise<AgentInputItem | undefined> {
    const id = this.#storeId(runContext);
    const item = await this.#store.popItem(id);
    return item === null ? undefined : (item as unknown as AgentInputItem);
  }

  /**
   * Removes every item of the conversation, and with them the operation ids of earlier transactions.
   * The session itself (its envelope: user, metadata, TTL) stays the application's.
   */
  async clearSession(runContext?: RunContext<TContext>): Promise<void> {
    const id = this.#storeId(runContext);
    const removed = await this.#store.clearItems(id);
    this.#logger.debug('openai-agents session clear', { sessionId: id, removed });
  }

  /**
   * Replaces the whole conversation with `items` (a compaction marker and the suffix it keeps) in one
   * atomic store write, so no reader ever sees the history cleared and half rebuilt.
   */
  async replaceHistoryWithCompaction(
    items: AgentInputItem[],
    runContext?: RunContext<TContext>,
  ): Promise<void> {
    if (!Array.isArray(items)) fail('items', 'expected an array of items');
    const id = this.#storeId(runContext);
    const length = await this.#store.replaceItems(id, items as unknown as JsonObject[]);
    this.#logger.debug('openai-agents session compaction', { sessionId: id, length });
  }

  /**
   * Applies an `append_items` or `replace_suffix` transaction atomically, once per `operationId`: a
   * repeat with the same id and transaction (a retry) changes nothing; the same id with another
   * transaction, or a suffix that is no longer the stored one, throws SessionConflictError and writes
   * nothing. The arguments are read once and snapshotted; items that are not JSON (Dates, BigInts,
   * binary data, cycles, accessors, …) or not agent input items throw SessionValidationError first.
   * The operation id is remembered as long as the store remembers operation ids (`operationIdTtlSeconds`)
   * and until the session is cleared or deleted.
   */
  async applyHistoryTransaction(
    args: SessionHistoryTransactionArgs,
    runContext?: RunContext<TContext>,
  ): Promise<void> {
    const { operationId, transaction } = readTransactionArgs(args);
    const id = this.#storeId(runContext);
    if (transaction.type === 'append_items') {
      await this.#store.appendItems(id, transaction.items, { ...this.#appendOptions(), operationId });
    } else {
      await this.#store.replaceItems(id, transaction.replacement, {
        expectedSuffix: transaction.expectedSuffix,
        operationId,
      });
    }
    this.#logger.debug('openai-agents session transaction', { sessionId: id, type: transaction.type });
  }

  /**
   * Applies history mutations (`replace_function_call`: the first function call with the id becomes the
   * replacement, later duplicates go) as a compare-and-swap on the changed suffix of the log, retried
   * when another writer got there first (`maxRewriteAttempts`, then the SessionConflictError is thrown).
   */
  async applyHistoryMutations(
    args: SessionHistoryRewriteArgs,
    runContext?: RunContext<TContext>,
  ): Promise<void> {
    const mutations = readMutations(args);
    if (mutations.length === 0) return;
    const id = this.#storeId(runContext);
    for (let attempt = 1; ; attempt++) {
      const current = await this.#store.getItems(id, { touch: false });
      const next = applySessionHistoryMutations(current as unknown as AgentInputItem[], mutations);
      let start = 0;
      while (start < current.length && start < next.length && jsonEqual(current[start], next[start])) start++;
      if (start === current.length && start === next.length) return;
      try {
        await this.#store.replaceItems(id, next.slice(start) as unknown as JsonObject[], {
          expectedSuffix: current.slice(start),
        });
        this.#logger.debug('openai-agents session rewrite', { sessionId: id, from: start });
        return;
      } catch (error) {
        if (!isSessionConflictError(error) || attempt >= this.#maxRewriteAttempts) throw error;
      }
    }
  }

  #storeId(runContext: RunContext<TContext> | undefined): string {
    if (this.#storeIdFor === undefined) return this.#sessionId;
    return validateSessionId(this.#storeIdFor(this.#sessionId, runContext));
  }

  #appendOptions(): { ttlSeconds?: number } {
    return this.#ttlSeconds === undefined ? {} : { ttlSeconds: this.#ttlSeconds };
  }
}

type Transaction =
  | { type: 'append_items'; items: JsonObject[] }
  | { type: 'replace_suffix'; expectedSuffix: JsonObject[]; replacement: JsonObject[] };

/** Reads the transaction envelope once, snapshots it and checks its shape and items. */
function readTransactionArgs(args: unknown): { operationId: string; transaction: Transaction } {
  let operationId: unknown;
  let raw: unknown;
  try {
    if (typeof args !== 'object' || args === null) throw new TypeError('not an object');
    operationId = Reflect.get(args, 'operationId');
    raw = Reflect.get(args, 'transaction');
  } catch {
    // The thrown error is not attached: a getter's message may carry anything.
    fail('args', 'the history transaction arguments could not be read as an object');
  }
  if (typeof operationId !== 'string' || operationId.trim() === '') {
    fail('operationId', 'expected a non-empty string');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    fail('transaction', 'expected an object');
  const snapshot = snapshotJson(raw, 'transaction') as Record<string, unknown>;
  const keys = Object.keys(snapshot).sort().join(',');
  if (snapshot.type === 'append_items') {
    if (keys !== 'items,type')
      fail('transaction', 'an append_items transaction has exactly `type` and `items`');
    return {
      operationId,
      transaction: { type: 'append_items', items: agentItems(snapshot.items, 'transaction.items') },
    };
  }
  if (snapshot.type === 'replace_suffix') {
    if (keys !== 'expectedSuffix,replacement,type') {
      fail(
        'transaction',
        'a replace_suffix transaction has exactly `type`, `expectedSuffix` and `replacement`',
      );
    }
    return {
      operationId,
      transaction: {
        type: 'replace_suffix',
        expectedSuffix: agentItems(snapshot.expectedSuffix, 'transaction.expectedSuffix'),
        replacement: agentItems(snapshot.replacement, 'transaction.replacement'),
      },
    };
  }
  fail('transaction.type', "expected 'append_items' or 'replace_suffix'");
}

function agentItems(value: unknown, path: string): JsonObject[] {
  const items = snapshotItems(value, path);
  items.forEach((item, i) => {
    if (!protocol.ModelItem.safeParse(item).success) refuseItem(`${path}[${i}]`, 'not an agent input item');
  });
  return items;
}

function readMutations(args: unknown): SessionHistoryMutation[] {
  if (typeof args !== 'object' || args === null) fail('args', 'expected `{ mutations }`');
  const mutations = (args as { mutations?: unknown }).mutations;
  if (!Array.isArray(mutations)) fail('mutations', 'expected an array');
  return mutations.map((mutation, i) => {
    const path = `mutations[${i}]`;
    const snapshot = snapshotJson(mutation, path) as Record<string, unknown> | null;
    if (typeof snapshot !== 'object' || snapshot === null || snapshot.type !== 'replace_function_call') {
      fail(`${path}.type`, "expected 'replace_function_call'");
    }
    if (typeof snapshot.callId !== 'string' || snapshot.callId === '')
      fail(`${path}.callId`, 'expected a string');
    const replacement = snapshot.replacement as Record<string, unknown> | undefined;
    if (
      typeof replacement !== 'object' ||
      replacement === null ||
      replacement.type !== 'function_call' ||
      !protocol.ModelItem.safeParse(replacement).success
    ) {
      fail(`${path}.replacement`, 'expected a function_call item');
    }
    return snapshot as unknown as SessionHistoryMutation;
  });
}
