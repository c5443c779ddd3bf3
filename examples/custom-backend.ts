// A backend of your own: extend SessionStore and implement the storage hooks; the base class does all
// the input checks. This one keeps each session as encoded JSON text in a Map (as a key-value database
// would) and passes the same conformance suite as the built-in stores. Run: npx tsx examples/custom-backend.ts
import { pathToFileURL } from 'node:url';
import {
  applyCounter,
  applyPatch,
  buildSession,
  computeExpiry,
  type EncodedItem,
  encodedSize,
  endsWith,
  type HistoryWriteContext,
  itemsToTrim,
  type NormalizedInput,
  type NormalizedPatch,
  nextCounterValue,
  OperationLog,
  staleSuffixError,
} from '../src/backend/index.js';
import { SessionCodec, SessionConflictError, type SessionData, SessionStore } from '../src/index.js';

interface Row {
  json: string;
  ttlMs: number;
  expiresAtMs: number;
  /** The history, oldest first, as the encoded text the base class hands over. Lives and dies with the row. */
  items: EncodedItem[];
  /** Operation ids of history writes and their first outcomes; cleared with the items. */
  operations: OperationLog;
}

export class MapSessionStore extends SessionStore {
  readonly storeType = 'map';
  readonly #rows = new Map<string, Row>();
  readonly #now: () => number;

  constructor(options: SessionStore.Options & { now?: () => number } = {}) {
    super(options);
    this.#now = options.now ?? Date.now;
  }

  // Every hook below reads and writes without an `await` in between, so each is atomic in one process.
  #live(id: string, now: number): Row | undefined {
    const row = this.#rows.get(id);
    return row && row.expiresAtMs > now ? row : undefined;
  }

  // A write keeps the history of the live row it replaces: `set` on an existing session keeps its items.
  #write(session: SessionData, ttlMs: number, now: number): SessionData {
    session.expiresAt = new Date(
      computeExpiry(session.createdAt.getTime(), now, ttlMs, this.options.maxLifetimeMs),
    );
    this.assertSize(encodedSize(session), session.sessionId);
    const previous = this.#live(session.sessionId, now);
    this.#rows.set(session.sessionId, {
      json: SessionCodec.toJSON(session),
      ttlMs,
      expiresAtMs: session.expiresAt.getTime(),
      items: previous?.items ?? [],
      operations: previous?.operations ?? new OperationLog(),
    });
    return session;
  }

  #touch(row: Row, now: number, ttlMs = row.ttlMs): SessionData {
    const session = SessionCodec.fromJSON(row.json);
    session.lastActivity = new Date(now);
    return this.#write(session, ttlMs, now);
  }

  protected async doGet(id: string, touch: boolean) {
    const now = this.#now();
    const row = this.#live(id, now);
    if (!row) return null;
    return touch ? this.#touch(row, now) : SessionCodec.fromJSON(row.json);
  }

  protected async doSet(id: string, input: NormalizedInput, ttlMs: number | undefined) {
    const now = this.#now();
    const row = this.#live(id, now);
    const previous = row ? SessionCodec.fromJSON(row.json) : undefined;
    const session = buildSession(id, input, now, 0, previous);
    return this.#write(session, ttlMs ?? row?.ttlMs ?? this.options.defaultTtlMs, now);
  }

  protected async doGetOrCreate(
    id: string,
    input: NormalizedInput,
    ttlMs: number | undefined,
  ): Promise<SessionStore.GetOrCreateResult> {
    const now = this.#now();
    const row = this.#live(id, now);
    if (row) {
      const session = this.options.touchOnGet ? this.#touch(row, now) : SessionCodec.fromJSON(row.json);
      return { session, created: false };
    }
    const session = buildSession(id, input, now, 0);
    return { session: this.#write(session, ttlMs ?? this.options.defaultTtlMs, now), created: true };
  }

  protected async doUpdate(id: string, patch: NormalizedPatch, expectedVersion: number | undefined) {
    const now = this.#now();
    const row = this.#live(id, now);
    if (!row) return null;
    const session = SessionCodec.fromJSON(row.json);
    if (expectedVersion !== undefined && expectedVersion !== session.version) {
      throw new SessionConflictError(id, expectedVersion, session.version);
    }
    applyPatch(session, patch, now);
    return this.#write(session, row.ttlMs, now);
  }

  protected async doIncrementCounter(id: string, field: string, delta: number) {
    const now = this.#now();
    const row = this.#live(id, now);
    if (!row) return null;
    const session = SessionCodec.fromJSON(row.json);
    const value = nextCounterValue(session, field, delta);
    applyCounter(session, field, value, now);
    this.#write(session, row.ttlMs, now);
    return value;
  }

  protected async doTouch(id: string, ttlMs: number | undefined) {
    const now = this.#now();
    const row = this.#live(id, now);
    if (!row) return false;
    this.#touch(row, now, ttlMs ?? row.ttlMs);
    return true;
  }

  // History. A history write slides the TTL and sets lastActivity (#touch), leaving version alone.
  #historyRow(id: string, now: number, context: HistoryWriteContext) {
    const row = this.#live(id, now);
    return { row, replayed: row?.operations.replay(id, context.operation, now) };
  }

  #historyWritten(id: string, now: number, context?: HistoryWriteContext): number {
    const row = this.#rows.get(id) as Row;
    if (context?.operation) row.operations.record(context.operation, row.items.length, now);
    this.#touch(row, now, context?.ttlMs ?? row.ttlMs);
    return row.items.length;
  }

  #createFor(id: string, now: number, context: HistoryWriteContext): Row {
    this.#write(buildSession(id, context.init, now, 0), context.ttlMs ?? this.options.defaultTtlMs, now);
    return this.#rows.get(id) as Row;
  }

  protected async doAppendItems(id: string, items: readonly EncodedItem[], context: HistoryWriteContext) {
    const now = this.#now();
    const { row, replayed } = this.#historyRow(id, now, context);
    if (replayed !== undefined) return replayed;
    const all = [...(row?.items ?? []), ...items];
    const trim = itemsToTrim(id, all.length, context.maxItems, context.overflow);
    (row ?? this.#createFor(id, now, context)).items = all.slice(trim);
    return this.#historyWritten(id, now, context);
  }

  protected async doGetItems(id: string, limit: number | undefined, touch: boolean) {
    const now = this.#now();
    const row = this.#live(id, now);
    if (!row) return [];
    if (touch) this.#touch(row, now);
    return limit === undefined ? row.items.slice() : row.items.slice(Math.max(0, row.items.length - limit));
  }

  protected async doPopItem(id: string) {
    const now = this.#now();
    const row = this.#live(id, now);
    if (!row) return null;
    const item = row.items.pop() ?? null;
    this.#historyWritten(id, now);
    return item;
  }

  protected async doReplaceItems(
    id: string,
    replacement: readonly EncodedItem[],
    suffix: readonly EncodedItem[] | undefined,
    context: HistoryWriteContext,
  ) {
    const now = this.#now();
    const { row, replayed } = this.#historyRow(id, now, context);
    if (replayed !== undefined) return replayed;
    const log = row?.items ?? [];
    if (suffix && !endsWith(log, suffix)) throw staleSuffixError(id, suffix.length, log.length);
    const all = [...log.slice(0, suffix ? log.length - suffix.length : 0), ...replacement];
    const trim = itemsToTrim(id, all.length, context.maxItems, context.overflow);
    (row ?? this.#createFor(id, now, context)).items = all.slice(trim);
    return this.#historyWritten(id, now, context);
  }

  protected async doClearItems(id: string) {
    const now = this.#now();
    const row = this.#live(id, now);
    if (!row) return 0;
    const removed = row.items.length;
    row.items = [];
    row.operations.clear();
    this.#historyWritten(id, now);
    return removed;
  }

  protected async doDelete(id: string) {
    return this.#live(id, this.#now()) !== undefined && this.#rows.delete(id);
  }

  protected async doExists(id: string) {
    return this.#live(id, this.#now()) !== undefined;
  }

  // A Map has no expiry index, so these walk every row: fine for an example, not for a large store.
  protected async doListActive(limit: number, offset: number) {
    const now = this.#now();
    const ids = [...this.#rows].filter(([, row]) => row.expiresAtMs > now).map(([id]) => id);
    return ids.slice(offset, offset + limit);
  }

  protected async doCountActive() {
    const now = this.#now();
    let count = 0;
    for (const row of this.#rows.values()) if (row.expiresAtMs > now) count += 1;
    return count;
  }

  protected async doCleanupExpired() {
    const now = this.#now();
    let removed = 0;
    for (const [id, row] of this.#rows) {
      if (row.expiresAtMs <= now) {
        this.#rows.delete(id);
        removed += 1;
      }
    }
    return removed;
  }

  protected async doStats() {
    return { rows: this.#rows.size };
  }

  protected async doPing() {
    return true;
  }

  protected async doClose() {
    this.#rows.clear();
  }
}

// Run directly: a short demonstration. Imported (as the tests do): just the class.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const store = new MapSessionStore({ defaultTtlSeconds: 60 });
  const { created } = await store.getOrCreate('conversation-1', { userId: 'u-1' });
  await store.incrementCounter('conversation-1', 'messageCount', 2);
  const session = await store.update('conversation-1', { metadata: { topic: 'refund' } });
  await store.appendItems('conversation-1', [
    { role: 'user', content: 'Where is my refund?' },
    { role: 'assistant', content: 'It was sent yesterday.' },
  ]);
  const history = await store.getItems('conversation-1', { limit: 1 });
  console.log(
    `created=${created} messages=${session?.messageCount} topic=${String(session?.metadata.topic)} ` +
      `last item=${JSON.stringify(history[0])}`,
  );
  console.log(`stats: ${JSON.stringify(await store.getStats())}`);
  await store.close();
}
