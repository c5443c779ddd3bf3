// A SessionStore for one process: lru-cache bounds the number of sessions, our own clock drives expiry
// (so tests can inject it), and every method hands out copies, never the stored objects.
import { LRUCache } from 'lru-cache';
import { cloneTrustedJsonObject } from '../codec/json.js';
import type { SessionData } from '../codec/SessionData.js';
import { SessionConflictError, SessionStoreError } from '../errors/errors.js';
import {
  endsWith,
  type HistoryWriteContext,
  itemsToTrim,
  OperationLog,
  staleSuffixError,
} from '../store/history.js';
import type { EncodedItem } from '../store/items.js';
import {
  applyCounter,
  applyPatch,
  buildSession,
  cloneStoredSession,
  computeExpiry,
  encodedSize,
  nextCounterValue,
} from '../store/records.js';
import { type BeginTurnRecord, type GetOrCreateResult, SessionStore } from '../store/SessionStore.js';
import type { NormalizedInput, NormalizedPatch } from '../store/validation.js';
import { ExpiryHeap } from './ExpiryHeap.js';
import { draftOf, type Entry } from './entry.js';
import { compactExpiries, purgeExpired } from './expiry.js';
import {
  type InMemorySessionStoreOptions,
  rejectUnknownMemoryOptions,
  resolveMemoryOptions,
} from './options.js';

export type { InMemorySessionStoreOptions } from './options.js';

/** The types that go with the class: `InMemorySessionStore.Options`. */
export declare namespace InMemorySessionStore {
  type Options = InMemorySessionStoreOptions;
}

export class InMemorySessionStore extends SessionStore {
  readonly storeType = 'memory';
  readonly #cache: LRUCache<string, Entry>;
  readonly #expiries = new ExpiryHeap<Entry>();
  readonly #now: () => number;
  #expiredSinceCleanup = 0;
  #evictions = 0;

  constructor(options: InMemorySessionStoreOptions = {}) {
    rejectUnknownMemoryOptions(options);
    super(options);
    const { maxSessions, now } = resolveMemoryOptions(options);
    this.#now = now;
    this.#cache = new LRUCache<string, Entry>({
      max: maxSessions,
      disposeAfter: (_entry, _key, reason) => {
        if (reason === 'evict') this.#evictions += 1;
      },
    });
  }

  /** The live entry for `id`, dropping it when it has expired. `bump` marks it recently used. */
  #live(id: string, now: number, bump: boolean): Entry | undefined {
    const entry = bump ? this.#cache.get(id) : this.#cache.peek(id);
    if (entry === undefined) return undefined;
    if (entry.expiresAtMs <= now) {
      this.#cache.delete(id);
      this.#expiredSinceCleanup += 1;
      return undefined;
    }
    return entry;
  }

  #slide(entry: Entry, now: number): void {
    const at = computeExpiry(entry.session.createdAt.getTime(), now, entry.ttlMs, this.options.maxLifetimeMs);
    entry.expiresAtMs = at;
    // The stored record's Dates are never handed out (every method returns a clone) and its expiresAt is
    // not shared with another field, so it can be updated in place rather than reallocated.
    if (entry.session.expiresAt === null) entry.session.expiresAt = new Date(at);
    else entry.session.expiresAt.setTime(at);
    // Expiry usually moves later, and then the existing node suffices (see Entry.scheduledMs in entry.ts).
    if (at < entry.scheduledMs) {
      entry.scheduledMs = at;
      this.#expiries.push(at, entry);
      // Nodes of replaced, deleted or shortened entries pile up; rebuild once they outnumber the live ones.
      if (this.#expiries.size > 2 * this.#cache.size + 1024) this.#compact();
    }
  }

  #compact(): void {
    compactExpiries(this.#cache, this.#expiries);
  }

  #purge(now: number): number {
    const removed = purgeExpired(this.#cache, this.#expiries, now);
    this.#expiredSinceCleanup += removed;
    return removed;
  }

  /** Stores a new entry for `session`; `previous` hands over its history (`set` keeps the items). */
  #store(id: string, session: SessionData, ttlMs: number, now: number, previous?: Entry): SessionData {
    this.assertSize(encodedSize(session), id);
    const entry: Entry = {
      session,
      ttlMs,
      expiresAtMs: 0,
      scheduledMs: Number.POSITIVE_INFINITY,
      items: previous?.items ?? [],
      operations: previous?.operations,
    };
    this.#slide(entry, now);
    this.#cache.set(id, entry);
    return cloneStoredSession(session);
  }

  protected async doGet(id: string, touch: boolean): Promise<SessionData | null> {
    const now = this.#now();
    const entry = this.#live(id, now, touch);
    if (entry === undefined) return null;
    if (touch) {
      entry.session.lastActivity = new Date(now);
      this.#slide(entry, now);
    }
    return cloneStoredSession(entry.session);
  }

  protected async doSet(id: string, input: NormalizedInput, ttlMs: number | undefined): Promise<SessionData> {
    const now = this.#now();
    const previous = this.#live(id, now, false);
    const ttl = ttlMs ?? previous?.ttlMs ?? this.options.defaultTtlMs;
    const session = buildSession(id, input, now, 0, previous?.session, cloneTrustedJsonObject);
    return this.#store(id, session, ttl, now, previous);
  }

  protected async doGetOrCreate(
    id: string,
    input: NormalizedInput,
    ttlMs: number | undefined,
  ): Promise<GetOrCreateResult> {
    // No await before the write: the check and the insert run in one turn of the event loop.
    const now = this.#now();
    const existing = this.#live(id, now, true);
    if (existing !== undefined) {
      if (this.options.touchOnGet) {
        existing.session.lastActivity = new Date(now);
        this.#slide(existing, now);
      }
      return { session: cloneStoredSession(existing.session), created: false };
    }
    const session = buildSession(id, input, now, 0, undefined, cloneTrustedJsonObject);
    return { session: this.#store(id, session, ttlMs ?? this.options.defaultTtlMs, now), created: true };
  }

  protected async doUpdate(
    id: string,
    patch: NormalizedPatch,
    expectedVersion: number | undefined,
  ): Promise<SessionData | null> {
    const now = this.#now();
    const entry = this.#live(id, now, true);
    if (entry === undefined) return null;
    if (expectedVersion !== undefined && expectedVersion !== entry.session.version) {
      throw new SessionConflictError(id, expectedVersion, entry.session.version);
    }
    // Patch a copy, so that a patch over the size limit leaves the stored session as it was.
    const next = draftOf(entry.session);
    applyPatch(next, patch, now);
    this.assertSize(encodedSize(next), id);
    entry.session = next;
    this.#slide(entry, now);
    return cloneStoredSession(next);
  }

  protected async doIncrementCounter(id: string, field: string, delta: number): Promise<number | null> {
    const now = this.#now();
    const entry = this.#live(id, now, true);
    if (entry === undefined) return null;
    const session = entry.session;
    const value = nextCounterValue(session, field, delta);
    const previous = field === 'messageCount' ? session.messageCount : session.metadata[field];
    // The session only grows when the counter is a new key or gains a digit, or the version gains one:
    // check the size cap then, on a copy, so that a refused increment leaves the stored session as it was.
    const isNewKey = field !== 'messageCount' && !Object.hasOwn(session.metadata, field);
    const grows =
      isNewKey ||
      String(value).length > String(previous).length ||
      String(session.version + 1).length > String(session.version).length;
    if (grows) {
      const next = draftOf(session);
      applyCounter(next, field, value, now);
      this.assertSize(encodedSize(next), id);
      entry.session = next;
    } else {
      applyCounter(session, field, value, now);
    }
    this.#slide(entry, now);
    return value;
  }

  protected override async doBeginTurn(
    id: string,
    init: NormalizedInput,
    ttlMs: number | undefined,
    historyLimit: number,
  ): Promise<BeginTurnRecord> {
    // These hooks do all their work before they return (none awaits): called back to back, without an
    // await between them, the whole turn runs in one turn of the event loop, atomic like the others.
    const [{ created }, , session, items] = await Promise.all([
      this.doGetOrCreate(id, init, ttlMs),
      this.doIncrementCounter(id, 'messageCount', 1),
      this.doGet(id, false),
      this.doGetItems(id, historyLimit, false),
    ]);
    if (session === null) throw new SessionStoreError('beginTurn: the session it created is absent');
    return { session, created, items };
  }

  protected async doTouch(id: string, ttlMs: number | undefined): Promise<boolean> {
    const now = this.#now();
    const entry = this.#live(id, now, true);
    if (entry === undefined) return false;
    if (ttlMs !== undefined) entry.ttlMs = ttlMs;
    entry.session.lastActivity = new Date(now);
    this.#slide(entry, now);
    return true;
  }

  /**
   * The live entry a history write goes to (undefined when absent), or the first outcome when
   * `context.operation` was already applied to this session.
   */
  #historyEntry(id: string, now: number, context: HistoryWriteContext): { entry?: Entry; replayed?: number } {
    const entry = this.#live(id, now, true);
    const replayed = entry?.operations?.replay(id, context.operation, now);
    return replayed === undefined ? { entry } : { replayed };
  }

  /** Creates the session for a history write (as getOrCreate would) and returns its entry. */
  #create(id: string, now: number, context: HistoryWriteContext): Entry {
    const session = buildSession(id, context.init, now, 0, undefined, cloneTrustedJsonObject);
    this.#store(id, session, context.ttlMs ?? this.options.defaultTtlMs, now);
    return this.#cache.peek(id) as Entry;
  }

  /** After a history write: record the operation, slide the TTL, set lastActivity (not version/updatedAt). */
  #historyWritten(entry: Entry, now: number, context: HistoryWriteContext | undefined): number {
    const length = entry.items.length;
    if (context?.operation !== undefined) {
      entry.operations ??= new OperationLog();
      entry.operations.record(context.operation, length, now);
    }
    if (context?.ttlMs !== undefined) entry.ttlMs = context.ttlMs;
    entry.session.lastActivity = new Date(now);
    this.#slide(entry, now);
    return length;
  }

  // No await in the history hooks: each check and write runs in one turn of the event loop (atomic).
  protected async doAppendItems(
    id: string,
    items: readonly EncodedItem[],
    context: HistoryWriteContext,
  ): Promise<number> {
    const now = this.#now();
    const { entry, replayed } = this.#historyEntry(id, now, context);
    if (replayed !== undefined) return replayed;
    const length = (entry?.items.length ?? 0) + items.length;
    const trim = itemsToTrim(id, length, context.maxItems, context.overflow);
    const target = entry ?? this.#create(id, now, context);
    if (trim > 0) target.items = [...target.items, ...items].slice(trim);
    else for (const item of items) target.items.push(item);
    return this.#historyWritten(target, now, context);
  }

  protected async doGetItems(
    id: string,
    limit: number | undefined,
    touch: boolean,
  ): Promise<readonly EncodedItem[]> {
    const now = this.#now();
    const entry = this.#live(id, now, touch);
    if (entry === undefined) return [];
    if (touch) {
      entry.session.lastActivity = new Date(now);
      this.#slide(entry, now);
    }
    if (limit === undefined) return entry.items.slice();
    return limit === 0 ? [] : entry.items.slice(-limit);
  }

  protected async doPopItem(id: string): Promise<EncodedItem | null> {
    const now = this.#now();
    const entry = this.#live(id, now, true);
    if (entry === undefined) return null;
    const item = entry.items.pop();
    this.#historyWritten(entry, now, undefined);
    return item ?? null;
  }

  protected async doReplaceItems(
    id: string,
    replacement: readonly EncodedItem[],
    suffix: readonly EncodedItem[] | undefined,
    context: HistoryWriteContext,
  ): Promise<number> {
    const now = this.#now();
    const { entry, replayed } = this.#historyEntry(id, now, context);
    if (replayed !== undefined) return replayed;
    const log = entry?.items ?? [];
    if (suffix !== undefined && !endsWith(log, suffix)) throw staleSuffixError(id, suffix.length, log.length);
    const kept = suffix === undefined ? 0 : log.length - suffix.length;
    const trim = itemsToTrim(id, kept + replacement.length, context.maxItems, context.overflow);
    const target = entry ?? this.#create(id, now, context);
    target.items = [...log.slice(0, kept), ...replacement].slice(trim);
    return this.#historyWritten(target, now, context);
  }

  protected async doClearItems(id: string): Promise<number> {
    const now = this.#now();
    const entry = this.#live(id, now, true);
    if (entry === undefined) return 0;
    const removed = entry.items.length;
    entry.items = [];
    entry.operations = undefined;
    this.#historyWritten(entry, now, undefined);
    return removed;
  }

  protected async doDelete(id: string): Promise<boolean> {
    const live = this.#live(id, this.#now(), false) !== undefined;
    return live && this.#cache.delete(id);
  }

  protected async doExists(id: string): Promise<boolean> {
    return this.#live(id, this.#now(), false) !== undefined;
  }

  protected async doListActive(limit: number, offset: number): Promise<string[]> {
    this.#purge(this.#now());
    const ids: string[] = [];
    let skipped = 0;
    // Least recently used first: reads without touch do not reorder it.
    for (const id of this.#cache.rkeys()) {
      if (skipped < offset) {
        skipped += 1;
        continue;
      }
      ids.push(id);
      if (ids.length >= limit) break;
    }
    return ids;
  }

  protected async doCountActive(): Promise<number> {
    this.#purge(this.#now());
    return this.#cache.size;
  }

  protected async doCleanupExpired(): Promise<number> {
    this.#purge(this.#now());
    const removed = this.#expiredSinceCleanup;
    this.#expiredSinceCleanup = 0;
    return removed;
  }

  protected async doStats(): Promise<Record<string, unknown>> {
    return { maxSessions: this.#cache.max, evictions: this.#evictions };
  }

  protected async doPing(): Promise<boolean> {
    return true;
  }

  protected async doClose(): Promise<void> {
    this.#cache.clear();
    this.#expiries.rebuild([]);
  }
}
