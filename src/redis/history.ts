// The history hooks and beginTurn of RedisSessionStore: each one script call (historyScripts.ts) under
// the store's deadline, its arguments built and its reply read here.
import type { SessionData } from '../codec/SessionData.js';
import { SessionDecodeError, SessionStoreUnavailableError } from '../errors/errors.js';
import {
  type HistoryWriteContext,
  operationConflictError,
  staleSuffixError,
  tooManyItemsError,
} from '../store/history.js';
import type { EncodedItem } from '../store/items.js';
import type { BeginTurnRecord, ResolvedStoreOptions } from '../store/SessionStore.js';
import type { NormalizedInput } from '../store/validation.js';
import type { RedisClient } from './connection.js';
import type { Durability } from './durability.js';
import { HISTORY_SCRIPTS, type HistoryScriptName } from './historyScripts.js';
import { itemsKey, type KeySpace } from './keys.js';
import { HEADER_LENGTH } from './layout.js';
import { completeWritten, decodeRecord, encodeInput, writtenSession } from './record.js';
import { counterInReply, integerReply } from './replies.js';
import type { ScriptFn } from './Script.js';
import { bindScripts } from './scripts.js';

/** The store's `#run`: one call under the deadline, `SESS…` replies mapped by `replyError`. */
export type Run = <T>(
  id: string,
  call: () => Promise<T>,
  replyError?: (message: string) => Error | undefined,
) => Promise<T>;

/** What the history calls need from the store's private side. */
export interface StoreCalls {
  run: Run;
  /** Throws the store's size error for a `SESSSIZE <bytes>` reply. */
  assertReplySize(message: string, id: string): void;
}

export class RedisHistory {
  readonly #client: RedisClient;
  readonly #keys: KeySpace;
  readonly #options: ResolvedStoreOptions;
  readonly #calls: StoreCalls;
  /** The max lifetime in ms as the scripts take it, '' for none. */
  readonly maxLifetime: string;
  readonly #scripts: Record<HistoryScriptName, ScriptFn>;

  constructor(
    client: RedisClient,
    keys: KeySpace,
    options: ResolvedStoreOptions,
    calls: StoreCalls,
    durability?: Durability,
    writer?: RedisClient,
  ) {
    this.#client = client;
    this.#keys = keys;
    this.#options = options;
    this.#calls = calls;
    this.maxLifetime = options.maxLifetimeMs === undefined ? '' : String(options.maxLifetimeMs);
    this.#scripts = bindScripts(HISTORY_SCRIPTS, client, durability, writer);
  }

  /**
   * KEYS and the leading ARGV that every create-capable write shares (set, getOrCreate, the history
   * writes, beginTurn): id, TTL, default TTL, max lifetime, createdAt.
   */
  writeArgs(id: string, input: NormalizedInput, ttlMs: number | undefined): (string | number)[] {
    const createdAt = input.createdAt?.getTime() ?? '';
    return [
      ...this.#keys.forWrite(id),
      id,
      ttlMs ?? '',
      this.#options.defaultTtlMs,
      this.maxLifetime,
      createdAt,
    ];
  }

  /** writeArgs, then the encoded size and the rest of the record to create when the session is absent. */
  #createArgs(id: string, init: NormalizedInput, ttlMs: number | undefined): (string | number)[] {
    const { rest, size } = encodeInput(id, init);
    return [...this.writeArgs(id, init, ttlMs), size, rest];
  }

  /** appendItems and replaceItems: the shared ARGV, then `tail`; the length after. */
  #write(
    name: 'appendItems' | 'replaceItems',
    id: string,
    context: HistoryWriteContext,
    tail: readonly (string | number)[],
    suffixLength: number,
  ): Promise<number> {
    const op = context.operation;
    const args = [
      ...this.#createArgs(id, context.init, context.ttlMs),
      op?.id ?? '',
      op?.digest ?? '',
      op?.ttlMs ?? 0,
      context.maxItems,
      context.overflow === 'trimOldest' ? '1' : '0',
      ...tail,
    ];
    const replyError = (message: string): Error | undefined => {
      if (message.startsWith('SESSOPCONFLICT')) return operationConflictError(id, op?.id ?? '');
      const max = /^SESSMAXITEMS (\d+)/.exec(message);
      if (max) return tooManyItemsError(id, Number(max[1]), context.maxItems);
      const stale = /^SESSSUFFIX (\d+)/.exec(message);
      return stale ? staleSuffixError(id, suffixLength, Number(stale[1])) : undefined;
    };
    return this.#calls.run(id, () => this.#scripts[name](...args), replyError).then(integerReply);
  }

  append(id: string, items: readonly EncodedItem[], context: HistoryWriteContext): Promise<number> {
    return this.#write('appendItems', id, context, items, 0);
  }

  replace(
    id: string,
    replacement: readonly EncodedItem[],
    suffix: readonly EncodedItem[] | undefined,
    context: HistoryWriteContext,
  ): Promise<number> {
    const tail = suffix === undefined ? ['', ...replacement] : [suffix.length, ...suffix, ...replacement];
    return this.#write('replaceItems', id, context, tail, suffix?.length ?? 0);
  }

  async getItems(id: string, limit: number | undefined, touch: boolean): Promise<readonly EncodedItem[]> {
    if (touch) {
      const args = [...this.#keys.withItems(id), id, this.maxLifetime, limit ?? ''];
      return itemsReply(await this.#calls.run(id, () => this.#scripts.getItems(...args)));
    }
    // Without touch a read changes nothing: a plain LRANGE of the items, no script (as get sends a plain
    // GET). The items live and die with the record (same expiry; delete and the creation of a session
    // drop them), so an absent session reads []. Limit 0 asks for the range 1..0: empty, yet still a
    // round trip, so a down server or a key of the wrong type is reported as for any other limit.
    const key = itemsKey(this.#keys.prefix, id);
    const [start, stop] = limit === undefined ? ['0', '-1'] : limit === 0 ? ['1', '0'] : [`-${limit}`, '-1'];
    return itemsReply(await this.#calls.run(id, () => this.#client.lrange(key, start, stop)));
  }

  async pop(id: string): Promise<EncodedItem | null> {
    const args = [...this.#keys.forWrite(id), id, this.maxLifetime];
    const reply = await this.#calls.run(id, () => this.#scripts.popItem(...args));
    if (reply === 0) return null;
    if (typeof reply !== 'string') throw unexpected('popItem', reply);
    return reply;
  }

  clear(id: string): Promise<number> {
    const args = [...this.#keys.forWrite(id), id, this.maxLifetime];
    return this.#calls.run(id, () => this.#scripts.clearItems(...args)).then(integerReply);
  }

  /** getOrCreate, messageCount + 1 and the most recent `historyLimit` items, in one script call. */
  async beginTurn(
    id: string,
    init: NormalizedInput,
    ttlMs: number | undefined,
    historyLimit: number,
  ): Promise<BeginTurnRecord> {
    // A new session is written already counted: Node formats its messageCount.
    const counted = { ...init, messageCount: init.messageCount + 1 };
    if (!Number.isSafeInteger(counted.messageCount)) {
      // As incrementCounter reports it, and before anything is sent.
      throw counterInReply(`SESSRANGE ${counted.messageCount}`, 'messageCount', 1) as Error;
    }
    const args = [...this.#createArgs(id, counted, ttlMs), this.#options.maxSessionBytes, historyLimit];
    const reply = await this.#calls.run(
      id,
      () => this.#scripts.beginTurn(...args),
      (message) => {
        this.#calls.assertReplySize(message, id);
        return counterInReply(message, 'messageCount', 1);
      },
    );
    const [created, header, record, items] = Array.isArray(reply) ? reply : [];
    if (typeof header !== 'string' || typeof record !== 'string') throw unexpected('beginTurn', reply);
    let session: SessionData;
    if (created === 1 && record === '') {
      session = completeWritten(id, writtenSession(id, counted), header);
    } else if (header === '') {
      // A re-send of a call whose first send ran: the session as it now is.
      if (record === '')
        throw new SessionStoreUnavailableError('beginTurn: the session was deleted meanwhile');
      session = decodeRecord(id, record);
    } else {
      session = decodeRecord(id, header + record.slice(HEADER_LENGTH));
    }
    return { session, created: created === 1, items: itemsReply(items) };
  }
}

function itemsReply(reply: unknown): EncodedItem[] {
  if (!Array.isArray(reply) || !reply.every((item) => typeof item === 'string')) {
    throw unexpected('getItems', reply);
  }
  return reply as EncodedItem[];
}

function unexpected(method: string, reply: unknown): SessionDecodeError {
  return new SessionDecodeError(
    `Unexpected ${method} reply from Redis: ${JSON.stringify(reply)?.slice(0, 40)}`,
    { field: '(reply)' },
  );
}
