// In-process tools and stores for the agent tests: real implementations of the tool contracts that
// record what they were asked, and store subclasses whose hooks fail or count calls.

import type { EscalationDecision } from '../../src/agent/escalationPolicy.js';
import type {
  AttachmentTool,
  EscalationTool,
  KnowledgeBaseTool,
  KnowledgeSource,
  MemoryEntry,
  MemoryTool,
  Ticket,
  TicketRequest,
} from '../../src/agent/tools.js';
import { InMemorySessionStore, type Logger, SessionStoreUnavailableError } from '../../src/index.js';
import type { InMemorySessionStoreOptions } from '../../src/memory/InMemorySessionStore.js';
import type { HistoryWriteContext } from '../../src/store/history.js';
import type { EncodedItem } from '../../src/store/items.js';
import type { NormalizedInput, NormalizedPatch } from '../../src/store/validation.js';

/** Scores documents by the share of query words (4+ letters) they contain. */
export class KeywordKnowledgeBase implements KnowledgeBaseTool {
  readonly docs: { id: string; content: string; metadata: Record<string, string> }[] = [];
  readonly queries: string[] = [];

  constructor(docs: string[] = []) {
    docs.forEach((content, i) => {
      this.docs.push({ id: `doc-${i + 1}`, content, metadata: {} });
    });
  }

  async search(query: string, options: { k: number; threshold: number }): Promise<KnowledgeSource[]> {
    this.queries.push(query);
    const words = query.toLowerCase().match(/[a-z]{4,}/g) ?? [];
    if (words.length === 0) return [];
    return this.docs
      .map((doc) => {
        const hits = words.filter((w) => doc.content.toLowerCase().includes(w)).length;
        return { id: doc.id, content: doc.content, score: hits / words.length };
      })
      .filter((s) => s.score >= Math.min(options.threshold, 0.5) && s.score > 0)
      .sort((a, b) => b.score - a.score)
      .slice(0, options.k);
  }

  async addDocuments(documents: string[], metadatas: Record<string, unknown>[]): Promise<void> {
    documents.forEach((content, i) => {
      this.docs.push({
        id: `upload-${this.docs.length + 1}`,
        content,
        metadata: Object.fromEntries(Object.entries(metadatas[i] ?? {}).map(([k, v]) => [k, String(v)])),
      });
    });
  }
}

export class RecordingMemory implements MemoryTool {
  readonly entries = new Map<string, { content: string; contentType: string; importance: number }[]>();
  summarizeCalls = 0;
  retrieveCalls = 0;
  cleanedUp = 0;

  async summarize(sessionId: string): Promise<string> {
    this.summarizeCalls += 1;
    const n = this.entries.get(sessionId)?.length ?? 0;
    return n === 0 ? '' : `Known: ${n} notes.`;
  }

  async retrieve(
    sessionId: string,
    options: { contentType?: string; limit: number },
  ): Promise<MemoryEntry[]> {
    this.retrieveCalls += 1;
    const all = this.entries.get(sessionId) ?? [];
    return all
      .filter((e) => options.contentType === undefined || e.contentType === options.contentType)
      .reverse()
      .slice(0, options.limit);
  }

  async store(
    sessionId: string,
    entry: { content: string; contentType: 'context' | 'fact'; importance: number },
  ): Promise<void> {
    const list = this.entries.get(sessionId) ?? [];
    list.push({ ...entry });
    this.entries.set(sessionId, list);
  }

  async cleanup(): Promise<void> {
    this.cleanedUp += 1;
  }

  contents(sessionId: string): string[] {
    return (this.entries.get(sessionId) ?? []).map((e) => e.content);
  }
}

/** Chunks an attachment's text content by paragraph. */
export class TextAttachments implements AttachmentTool {
  readonly processed: string[] = [];

  async process(attachment: { filename: string; content?: string | Uint8Array }) {
    this.processed.push(attachment.filename);
    const text =
      typeof attachment.content === 'string'
        ? attachment.content
        : new TextDecoder().decode(attachment.content ?? new Uint8Array());
    const chunks = text.split(/\n{2,}/).filter((c) => c.trim() !== '');
    return { filename: attachment.filename, preview: text.slice(0, 50), chunks };
  }
}

/** Counts tickets; `decide` defaults to "always escalate"; `ticketDelayMs` widens the race window. */
export class CountingEscalation implements EscalationTool {
  ticketCalls = 0;
  readonly requests: TicketRequest[] = [];
  failNextTickets = 0;

  constructor(
    readonly decide: (message: string) => EscalationDecision = () => ({
      escalate: true,
      reasons: ['test'],
      confidence: 0.9,
    }),
    readonly ticketDelayMs = 0,
  ) {}

  async shouldEscalate(input: { message: string }): Promise<EscalationDecision> {
    return this.decide(input.message);
  }

  async createTicket(request: TicketRequest): Promise<Ticket> {
    this.ticketCalls += 1;
    this.requests.push(request);
    if (this.ticketDelayMs > 0) await new Promise((r) => setTimeout(r, this.ticketDelayMs));
    if (this.failNextTickets > 0) {
      this.failNextTickets -= 1;
      throw new Error('ticket system is down');
    }
    return { ticketId: `T-${this.ticketCalls}`, queue: 'support' };
  }
}

/**
 * An in-memory store whose get, getOrCreate, update and incrementCounter hooks first ask `failIfBroken`,
 * which throws while the subclass's fault is on.
 */
abstract class FailingHooksStore extends InMemorySessionStore {
  protected abstract failIfBroken(): void;

  protected override async doGetOrCreate(id: string, input: NormalizedInput, ttlMs: number | undefined) {
    this.failIfBroken();
    return super.doGetOrCreate(id, input, ttlMs);
  }

  protected override async doIncrementCounter(id: string, field: string, delta: number) {
    this.failIfBroken();
    return super.doIncrementCounter(id, field, delta);
  }

  protected override async doUpdate(id: string, patch: NormalizedPatch, expectedVersion: number | undefined) {
    this.failIfBroken();
    return super.doUpdate(id, patch, expectedVersion);
  }

  protected override async doGet(id: string, touch: boolean) {
    this.failIfBroken();
    return super.doGet(id, touch);
  }
}

/** An in-memory store whose storage hooks throw SessionStoreUnavailableError once `down` is set. */
export class FlakyStore extends FailingHooksStore {
  down = false;
  readonly calls: string[] = [];

  constructor(options: InMemorySessionStoreOptions = {}) {
    super(options);
    for (const name of [
      'get',
      'set',
      'getOrCreate',
      'update',
      'incrementCounter',
      'beginTurn',
      'appendItems',
      'touch',
      'delete',
      'exists',
      'listActive',
      'countActive',
      'cleanupExpired',
      'getStats',
    ] as const) {
      const original = this[name].bind(this) as (...args: unknown[]) => Promise<unknown>;
      (this as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
        this.calls.push(name);
        return original(...args);
      };
    }
  }

  protected override failIfBroken(): void {
    if (this.down) throw new SessionStoreUnavailableError('Redis is unreachable (test)');
  }
}

/**
 * A custom backend whose hooks throw a plain Error, not a SessionStoreError, while `failing` is set: a
 * failing disk, a driver's own error.
 */
export class DiskFullStore extends FailingHooksStore {
  failing = false;
  /** Only appending to the history fails. */
  appendFails = false;

  protected override async doAppendItems(
    id: string,
    items: readonly EncodedItem[],
    context: HistoryWriteContext,
  ): Promise<number> {
    if (this.appendFails) throw new Error('disk full');
    this.failIfBroken();
    return super.doAppendItems(id, items, context);
  }

  protected override failIfBroken(): void {
    if (this.failing) throw new Error('disk full');
  }
}

/** A logger that keeps every line, serialised, for leak checks. */
export function capturingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log =
    (level: string) =>
    (message: string, context?: Record<string, unknown>): void => {
      lines.push(`${level} ${message} ${JSON.stringify(context ?? {})}`);
    };
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
