// The history hooks and beginTurn of RedisSessionStore, as a class between it and SessionStore, so the
// store's own file keeps to the envelope. Each hook is one script call made by RedisHistory (history.ts).
import type { HistoryWriteContext } from '../store/history.js';
import type { EncodedItem } from '../store/items.js';
import { SessionStore } from '../store/SessionStore.js';
import type { NormalizedInput } from '../store/validation.js';
import type { RedisHistory } from './history.js';

/** Where RedisSessionStore puts its RedisHistory; a symbol the package does not export. */
export const HISTORY: unique symbol = Symbol('RedisSessionStore history');

export abstract class RedisHistoryHooks extends SessionStore {
  /** Set by the RedisSessionStore constructor, before any hook can run. */
  protected [HISTORY]!: RedisHistory;

  protected doAppendItems(id: string, items: readonly EncodedItem[], context: HistoryWriteContext) {
    return this[HISTORY].append(id, items, context);
  }

  protected doGetItems(id: string, limit: number | undefined, touch: boolean) {
    return this[HISTORY].getItems(id, limit, touch);
  }

  protected doPopItem(id: string) {
    return this[HISTORY].pop(id);
  }

  protected doReplaceItems(
    id: string,
    replacement: readonly EncodedItem[],
    suffix: readonly EncodedItem[] | undefined,
    context: HistoryWriteContext,
  ) {
    return this[HISTORY].replace(id, replacement, suffix, context);
  }

  protected doClearItems(id: string) {
    return this[HISTORY].clear(id);
  }

  protected override doBeginTurn(
    id: string,
    init: NormalizedInput,
    ttlMs: number | undefined,
    limit: number,
  ) {
    return this[HISTORY].beginTurn(id, init, ttlMs, limit);
  }
}
