// A customer-support turn around a SessionStore: count the message, gather context from host-injected
// tools (each through the ToolRunner, so a failing tool degrades the answer instead of failing the turn),
// escalate to a human exactly once per session, answer, and remember. processMessage and streamResponse
// share one pipeline; the stream only observes it.
import { randomUUID } from 'node:crypto';
import type { SessionData } from '../codec/SessionData.js';
import { isSessionStoreError, SessionValidationError } from '../errors/errors.js';
import { type Logger, silentLogger } from '../logger.js';
import type { SessionStore } from '../store/SessionStore.js';
import { validateSessionId } from '../store/validation.js';
import { abortError, raceAbort, throwIfAborted } from './abort.js';
import { type EscalationClaimOptions, EscalationCoordinator, ticketIdOf } from './EscalationCoordinator.js';
import { AgentClosedError, isOperationAbortedError, OperationAbortedError } from './errors.js';
import {
  createRuleEscalationPolicy,
  type EscalationDecision,
  type EscalationInput,
  type EscalationPolicyFunction,
  type EscalationRuleOptions,
  type HistoryEntry,
} from './escalationPolicy.js';
import { type ExtractedFact, extractFacts, redact, redactError } from './facts.js';
import type { CircuitBreakerOptions } from './runner/CircuitBreaker.js';
import type { RetryOptions } from './runner/retry.js';
import { ToolRunner } from './ToolRunner.js';
import { FALLBACK_MESSAGE, templateParagraphs } from './template.js';
import type {
  AgentTools,
  AttachmentTool,
  EscalationTool,
  KnowledgeBaseTool,
  KnowledgeSource,
  MemoryTool,
  ProcessedAttachment,
  ToolName,
} from './tools.js';
import type {
  AgentEvent,
  AgentResponse,
  EscalationSummary,
  GenerateResponse,
  GenerationContext,
  ProcessMessageInput,
  ToolErrorInfo,
  TurnStage,
} from './types.js';

export interface CustomerSupportAgentOptions {
  /** Where sessions live. The host's: `close()` does not close it. */
  store: SessionStore;
  tools?: AgentTools;
  /** Produces the answer; default: the built-in template answer. */
  generateResponse?: GenerateResponse;
  /** Backoff for tool calls. Defaults: 3 attempts, 200 ms doubling to at most 5 s, jitter 0.5. */
  retry?: RetryOptions;
  /**
   * Per-attempt timeout by tool (`knowledgeBase`, `memory`, `attachments`, `escalation`), in
   * milliseconds, plus `default` for the others. Default 10,000 each (attachments 30,000).
   */
  timeouts?: Partial<Record<ToolName | 'default', number>>;
  /** Per-tool breaker. Defaults: opens after 5 consecutive failed attempts, probes after 30 s. */
  circuitBreaker?: CircuitBreakerOptions;
  /** Receives only redacted text (emails and phone numbers masked). Default: silent. */
  logger?: Logger;
  /** Options of the built-in rules, or a function that replaces them. An escalation tool replaces both. */
  escalationPolicy?: EscalationRuleOptions | EscalationPolicyFunction;
  /** How concurrent turns agree on one ticket; see EscalationClaimOptions. */
  escalationClaim?: EscalationClaimOptions;
  /** Knowledge-base search: `k` sources (default 5) scoring at least `threshold` (default 0.7). */
  search?: { k?: number; threshold?: number };
  /** Source of randomness for backoff jitter, returning [0, 1). Default `Math.random`. */
  random?: () => number;
}

/** What `initialize()` reports: tools that are ready and tools whose factory or initialize() failed. */
export interface AgentInitReport {
  ready: ToolName[];
  failed: { tool: ToolName; error: string }[];
}

interface ResolvedTools {
  knowledgeBase?: KnowledgeBaseTool;
  memory?: MemoryTool;
  attachments?: AttachmentTool;
  escalation?: EscalationTool;
}

type Emit = (event: AgentEvent) => void;

/** A turn's result: the response, plus why it is a fallback when it is one. */
interface TurnResult {
  response: AgentResponse;
  failure?: { code: string; message: string };
}

/** Per-turn bookkeeping of which tools answered and which failed. */
class TurnTools {
  readonly used = new Set<string>();
  readonly errors: ToolErrorInfo[] = [];

  failed(tool: string, error: unknown): void {
    const code = (error as { code?: unknown } | null)?.code;
    this.errors.push({ tool, error: redactError(error), ...(typeof code === 'string' ? { code } : {}) });
  }
}

const STATUS: Record<TurnStage, string> = {
  session: 'Loading your session...',
  context: 'Loading conversation context...',
  attachments: 'Processing attachments...',
  search: 'Searching knowledge base...',
  escalation: 'Checking whether a specialist is needed...',
  generate: 'Writing the answer...',
  memory: 'Saving conversation notes...',
};

/** Characters of a message (and of a long answer) written to memory. */
const MEMORY_EXCERPT_CHARS = 200;
/** Answers longer than this are also written to memory. */
const MEMORY_RESPONSE_MIN_CHARS = 100;
/** Sources returned on a response. */
const RESPONSE_SOURCES = 3;

function now(): string {
  return new Date().toISOString();
}

function isAsyncIterable(value: unknown): value is AsyncIterable<string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AsyncIterable<string>)[Symbol.asyncIterator] === 'function'
  );
}

export class CustomerSupportAgent implements AsyncDisposable {
  readonly #store: SessionStore;
  readonly #toolSources: AgentTools;
  readonly #generate: GenerateResponse | undefined;
  readonly #runner: ToolRunner;
  readonly #logger: Logger;
  readonly #policy: EscalationPolicyFunction;
  readonly #coordinator: EscalationCoordinator;
  readonly #k: number;
  readonly #threshold: number;
  #tools: ResolvedTools = {};
  #initFailures: { tool: ToolName; error: string }[] = [];
  #initializing: Promise<AgentInitReport> | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: CustomerSupportAgentOptions) {
    const { store, tools = {}, generateResponse, retry, timeouts = {}, circuitBreaker } = options ?? {};
    if (typeof store?.getOrCreate !== 'function' || typeof store.incrementCounter !== 'function') {
      throw new TypeError('store option is required: a SessionStore such as InMemorySessionStore');
    }
    if (generateResponse !== undefined && typeof generateResponse !== 'function') {
      throw new TypeError('generateResponse option must be a function');
    }
    const { k = 5, threshold = 0.7 } = options.search ?? {};
    if (!Number.isSafeInteger(k) || k < 1) throw new TypeError('search.k option must be a positive integer');
    if (typeof threshold !== 'number' || Number.isNaN(threshold)) {
      throw new TypeError('search.threshold option must be a number');
    }
    this.#store = store;
    this.#toolSources = { ...tools };
    this.#generate = generateResponse;
    this.#logger = options.logger ?? silentLogger;
    const { default: defaultTimeout, ...perTool } = timeouts;
    this.#runner = new ToolRunner({
      retry,
      circuitBreaker,
      timeoutMs: defaultTimeout ?? 10_000,
      timeouts: { attachments: 30_000, ...(perTool as Record<string, number>) },
      random: options.random,
    });
    const policy = options.escalationPolicy;
    this.#policy = typeof policy === 'function' ? policy : createRuleEscalationPolicy(policy);
    this.#coordinator = new EscalationCoordinator(store, options.escalationClaim);
    this.#k = k;
    this.#threshold = threshold;
  }

  /** The runner every tool call goes through: metrics (`toolRunner.metrics()`) and events (`onRetry`, `onBreak`). */
  get toolRunner(): ToolRunner {
    return this.#runner;
  }

  /**
   * Builds tools given as factories and runs every tool's `initialize()`, all concurrently. A tool that
   * fails is left out (turns report it in `toolErrors`) and listed in the report. Idempotent; the first
   * turn calls it when the host did not.
   */
  initialize(): Promise<AgentInitReport> {
    if (this.#closing !== undefined) return Promise.reject(new AgentClosedError());
    this.#initializing ??= this.#initialize();
    return this.#initializing;
  }

  async #initialize(): Promise<AgentInitReport> {
    const entries = (Object.entries(this.#toolSources) as [ToolName, unknown][]).filter(
      ([, source]) => source !== undefined,
    );
    const settled = await Promise.allSettled(
      entries.map(async ([name, source]) => {
        const tool = (typeof source === 'function' ? await (source as () => unknown)() : source) as {
          initialize?: () => unknown;
        };
        if (typeof tool !== 'object' || tool === null) {
          throw new TypeError(`tools.${name} must be an object or a factory returning one`);
        }
        await tool.initialize?.();
        return tool;
      }),
    );
    const report: AgentInitReport = { ready: [], failed: [] };
    settled.forEach((result, i) => {
      const name = (entries[i] as [ToolName, unknown])[0];
      if (result.status === 'fulfilled') {
        (this.#tools as Record<string, unknown>)[name] = result.value;
        report.ready.push(name);
      } else {
        const error = redactError(result.reason);
        report.failed.push({ tool: name, error });
        this.#logger.warn('agent tool failed to initialize; turns continue without it', {
          tool: name,
          error,
        });
      }
    });
    this.#initFailures = report.failed;
    return report;
  }

  /** Runs every tool's `cleanup()` concurrently. Idempotent. The store stays open: it is the host's. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#initializing !== undefined) await this.#initializing.catch(() => undefined);
      const tools = Object.entries(this.#tools) as [string, { cleanup?: () => unknown }][];
      const settled = await Promise.allSettled(tools.map(async ([, tool]) => tool.cleanup?.()));
      settled.forEach((result, i) => {
        if (result.status === 'rejected') {
          const error = redactError(result.reason);
          this.#logger.warn('agent tool cleanup failed', { tool: tools[i]?.[0], error });
        }
      });
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * One turn. Never rejects because a tool failed (the answer degrades, `metadata.toolErrors` says how);
   * a store failure gives the fallback response (apology, `requiresEscalation: true`, `confidence: 0`,
   * `metadata.error` = the store error's code). Rejects with SessionValidationError on bad input,
   * OperationAbortedError when `signal` aborts, AgentClosedError after close().
   */
  async processMessage(input: ProcessMessageInput): Promise<AgentResponse> {
    const { response } = await this.#turn(input, () => {});
    return response;
  }

  /**
   * The same turn as processMessage, as events: `start`, `status`…, `sources` and `escalation` when they
   * apply, `text` deltas, then exactly one `complete` or `error`. Never throws; breaking out of the loop
   * early aborts the turn.
   */
  streamResponse(input: ProcessMessageInput): AsyncIterable<AgentEvent> {
    return this.#stream(input);
  }

  async *#stream(input: ProcessMessageInput): AsyncGenerator<AgentEvent, void, undefined> {
    const requestId = input?.requestId ?? randomUUID();
    const controller = new AbortController();
    const outer = input?.signal;
    const queue: AgentEvent[] = [];
    let wake: (() => void) | undefined;
    let terminal = false;
    const push = (event: AgentEvent): void => {
      if (terminal) return;
      if (event.type === 'complete' || event.type === 'error') terminal = true;
      queue.push(event);
      wake?.();
    };
    const fail = (error: unknown, response?: AgentResponse): void => {
      const code = (error as { code?: unknown } | null)?.code;
      push({
        type: 'error',
        requestId,
        code: typeof code === 'string' ? code : 'INTERNAL',
        message: redact(
          typeof (error as { message?: unknown } | null)?.message === 'string'
            ? (error as { message: string }).message
            : String(error),
        ),
        ...(response === undefined ? {} : { response }),
        timestamp: now(),
      });
    };
    // Abort ends the stream at once, even while the turn waits on something that ignores its signal.
    const onAbort = (): void => {
      controller.abort(outer?.reason);
      fail(abortError(outer as AbortSignal));
    };
    if (outer?.aborted) onAbort();
    else outer?.addEventListener('abort', onAbort, { once: true });
    if (!terminal) {
      this.#turn({ ...input, requestId, signal: controller.signal }, push).then(
        ({ response, failure }) => {
          if (failure === undefined) push({ type: 'complete', response, timestamp: now() });
          else fail({ code: failure.code, message: failure.message }, response);
        },
        (error: unknown) => fail(error),
      );
    }
    try {
      for (;;) {
        const event = queue.shift();
        if (event !== undefined) {
          yield event;
          if (event.type === 'complete' || event.type === 'error') return;
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    } finally {
      outer?.removeEventListener('abort', onAbort);
      // The consumer stopped early (break/return): stop the turn's remaining work.
      if (!controller.signal.aborted && !terminal)
        controller.abort(new OperationAbortedError('The stream was closed by its consumer'));
    }
  }

  /** The shared pipeline. `emit` sees the stream events except the terminal one. */
  async #turn(input: ProcessMessageInput, emit: Emit): Promise<TurnResult> {
    const started = performance.now();
    if (this.#closing !== undefined) throw new AgentClosedError();
    if (typeof input !== 'object' || input === null) {
      throw new SessionValidationError('processMessage expects an object with sessionId and message', {
        field: 'input',
      });
    }
    const sessionId = validateSessionId(input.sessionId);
    const { message, signal } = input;
    if (typeof message !== 'string') {
      throw new SessionValidationError('message must be a string', { field: 'message' });
    }
    const attachments = input.attachments ?? [];
    if (!Array.isArray(attachments)) {
      throw new SessionValidationError('attachments must be an array', { field: 'attachments' });
    }
    const history = input.history ?? [];
    if (!Array.isArray(history)) {
      throw new SessionValidationError('history must be an array of { role, content }', { field: 'history' });
    }
    const requestId = input.requestId ?? randomUUID();
    const tools = new TurnTools();
    const status = (stage: TurnStage): void =>
      emit({ type: 'status', stage, message: STATUS[stage], timestamp: now() });
    const elapsed = (): number => performance.now() - started;

    emit({ type: 'start', sessionId, requestId, timestamp: now() });
    this.#logger.debug('agent turn', {
      sessionId,
      requestId,
      message: redact(message.slice(0, MEMORY_EXCERPT_CHARS)),
    });
    throwIfAborted(signal);
    await raceAbort(this.initialize(), signal);
    for (const failure of this.#initFailures) tools.errors.push({ ...failure, code: 'TOOL_INIT_FAILED' });

    let session: SessionData | undefined;
    let seen: SessionData | undefined;
    let messageCount: number | null = null;
    const facts = extractFacts(message);
    try {
      status('session');
      ({ seen, session, messageCount } = await this.#countMessage(
        sessionId,
        input.userId,
        requestId,
        signal,
      ));

      status('context');
      const memoryContext = this.#loadMemory(sessionId, tools, signal);
      // Awaited below; this only keeps an abort that ends the turn earlier from surfacing as unhandled.
      memoryContext.catch(() => undefined);
      let processed: ProcessedAttachment[] = [];
      if (attachments.length > 0) {
        status('attachments');
        processed = await this.#processAttachments(sessionId, requestId, attachments, tools, signal);
      }
      status('search');
      const sources = await this.#search(message, tools, signal);
      if (sources.length > 0) {
        emit({ type: 'sources', sources: sources.slice(0, RESPONSE_SOURCES), timestamp: now() });
      }
      const context = await memoryContext;

      status('escalation');
      const escalation = await this.#escalation(seen, session, message, history, requestId, tools, signal);
      if (escalation.escalate) {
        emit({
          type: 'escalation',
          required: true,
          reasons: escalation.reasons,
          ...(escalation.ticketId === undefined ? {} : { ticketId: escalation.ticketId }),
          timestamp: now(),
        });
      }

      throwIfAborted(signal);
      status('generate');
      let text: string;
      try {
        text = await this.#respond(
          {
            sessionId,
            requestId,
            message,
            messageCount,
            session,
            memoryContext: context,
            attachments: processed,
            sources,
            escalation,
            facts,
            history,
            signal: signal ?? new AbortController().signal,
          },
          emit,
        );
      } catch (error) {
        if (isOperationAbortedError(error)) throw error;
        return this.#fallback('agent response generation failed', 'GENERATION_FAILED', error, {
          sessionId,
          requestId,
          messageCount,
          session,
          facts,
          tools,
          escalation,
          elapsed: elapsed(),
        });
      }

      status('memory');
      await this.#remember(sessionId, message, text, facts, tools, signal);

      const response: AgentResponse = {
        message: text,
        sources: sources.slice(0, RESPONSE_SOURCES),
        requiresEscalation: escalation.escalate,
        confidence: this.#confidence(escalation, sources),
        toolsUsed: [...tools.used],
        processingTimeMs: elapsed(),
        metadata: this.#metadata(sessionId, requestId, messageCount, session, facts, tools, escalation),
      };
      return { response };
    } catch (error) {
      if (isOperationAbortedError(error)) throw error;
      if (!isSessionStoreError(error)) throw error;
      return this.#fallback(
        'session store failed during an agent turn; answering with the fallback',
        error.code,
        error,
        {
          sessionId,
          requestId,
          messageCount,
          session,
          facts,
          tools,
          elapsed: elapsed(),
        },
      );
    }
  }

  /**
   * getOrCreate + incrementCounter: two store commands on a one-round-trip backend. `seen` is the
   * session as read (its version precedes our increment); `session` carries the new count.
   */
  async #countMessage(
    sessionId: string,
    userId: string | undefined,
    requestId: string,
    signal: AbortSignal | undefined,
  ): Promise<{ seen: SessionData; session: SessionData; messageCount: number }> {
    // The session can expire between the two calls; start over a few times rather than lose the count.
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const { session: seen } = await raceAbort(
        this.#store.getOrCreate(sessionId, { userId: userId ?? null, requestId }),
        signal,
      );
      const count = await raceAbort(this.#store.incrementCounter(sessionId, 'messageCount'), signal);
      if (count === null) continue;
      let session: SessionData = { ...seen, messageCount: count };
      if (userId !== undefined && seen.userId === null) {
        // Once per session at most: a session created without a user learns it on a later turn.
        session = (await raceAbort(this.#store.update(sessionId, { userId }), signal)) ?? session;
        session = { ...session, messageCount: Math.max(session.messageCount, count) };
      }
      return { seen, session, messageCount: count };
    }
    throw new SessionValidationError(
      `Session ${JSON.stringify(sessionId.slice(0, 64))} expired three times while a message was being counted; check defaultTtlSeconds`,
      { field: 'defaultTtlSeconds' },
    );
  }

  async #call<T>(
    tool: ToolName,
    tools: TurnTools,
    fn: (signal: AbortSignal) => Promise<T>,
    signal: AbortSignal | undefined,
    maxAttempts?: number,
  ): Promise<{ ok: true; value: T } | { ok: false }> {
    try {
      const value = await this.#runner.run(tool, ({ signal: attemptSignal }) => fn(attemptSignal), {
        signal,
        ...(maxAttempts === undefined ? {} : { maxAttempts }),
      });
      tools.used.add(tool);
      return { ok: true, value };
    } catch (error) {
      if (isOperationAbortedError(error)) throw error;
      tools.failed(tool, error);
      this.#logger.warn('agent tool failed; answering without it', {
        tool,
        code: (error as { code?: unknown } | null)?.code,
        error: redactError(error),
      });
      return { ok: false };
    }
  }

  async #loadMemory(sessionId: string, tools: TurnTools, signal: AbortSignal | undefined): Promise<string> {
    const memory = this.#tools.memory;
    if (memory === undefined) return '';
    const [summary, recent] = await Promise.all([
      this.#call('memory', tools, (s) => memory.summarize(sessionId, { signal: s }), signal),
      this.#call(
        'memory',
        tools,
        (s) => memory.retrieve(sessionId, { contentType: 'context', limit: 5, signal: s }),
        signal,
      ),
    ]);
    let context = summary.ok && typeof summary.value === 'string' ? summary.value : '';
    if (recent.ok && Array.isArray(recent.value) && recent.value.length > 0) {
      context += '\nRecent conversation points:\n';
      for (const entry of recent.value.slice(0, 3)) context += `- ${entry.content}\n`;
    }
    return context;
  }

  async #processAttachments(
    sessionId: string,
    requestId: string,
    attachments: ProcessMessageInput['attachments'] & object,
    tools: TurnTools,
    signal: AbortSignal | undefined,
  ): Promise<ProcessedAttachment[]> {
    const processor = this.#tools.attachments;
    if (processor === undefined) {
      tools.errors.push({
        tool: 'attachments',
        error: 'no attachments tool is configured',
        code: 'TOOL_MISSING',
      });
      return [];
    }
    const kb = this.#tools.knowledgeBase;
    const results = await Promise.all(
      attachments.map(async (attachment) => {
        const result = await this.#call(
          'attachments',
          tools,
          (s) => processor.process(attachment, { signal: s }),
          signal,
        );
        if (!result.ok) return undefined;
        const processed = result.value;
        const chunks = processed.chunks ?? [];
        if (chunks.length > 0 && kb?.addDocuments !== undefined) {
          const metadata = { source: processed.filename, type: 'user_upload', sessionId, requestId };
          const addDocuments = kb.addDocuments.bind(kb);
          // Indexing is not idempotent: one attempt, so a timeout cannot index the chunks twice.
          await this.#call(
            'knowledgeBase',
            tools,
            (s) =>
              addDocuments(
                chunks,
                chunks.map(() => ({ ...metadata })),
                { signal: s },
              ),
            signal,
            1,
          );
        }
        return processed;
      }),
    );
    return results.filter((r): r is ProcessedAttachment => r !== undefined);
  }

  async #search(
    message: string,
    tools: TurnTools,
    signal: AbortSignal | undefined,
  ): Promise<KnowledgeSource[]> {
    const kb = this.#tools.knowledgeBase;
    if (kb === undefined) return [];
    const result = await this.#call(
      'knowledgeBase',
      tools,
      (s) => kb.search(message, { k: this.#k, threshold: this.#threshold, signal: s }),
      signal,
    );
    if (!result.ok) return [];
    return Array.isArray(result.value)
      ? result.value.filter((s) => typeof s === 'object' && s !== null && typeof s.content === 'string')
      : [];
  }

  async #escalation(
    seen: SessionData,
    session: SessionData,
    message: string,
    history: HistoryEntry[],
    requestId: string,
    tools: TurnTools,
    signal: AbortSignal | undefined,
  ): Promise<EscalationSummary> {
    const storedReasons = Array.isArray(session.metadata.escalationReasons)
      ? session.metadata.escalationReasons.filter((r): r is string => typeof r === 'string')
      : [];
    const existing = ticketIdOf(session);
    // An escalated session stays escalated: no policy call, no store call, the same ticket.
    if (session.escalated && existing !== undefined) {
      return { escalate: true, reasons: storedReasons, confidence: 1, ticketId: existing };
    }
    let decision: EscalationDecision;
    if (session.escalated) {
      // Another turn holds the claim right now: join it.
      decision = { escalate: true, reasons: storedReasons, confidence: 1 };
    } else {
      decision = await this.#decide(
        {
          sessionId: session.sessionId,
          message,
          messageCount: session.messageCount,
          history,
          userId: session.userId,
        },
        tools,
        signal,
      );
    }
    if (!decision.escalate) return { escalate: false, reasons: [], confidence: decision.confidence };
    const escalationTool = this.#tools.escalation;
    const outcome = await this.#coordinator.escalate(
      seen,
      decision.reasons,
      async (idempotencyKey) => {
        if (escalationTool === undefined)
          return `ESC-${idempotencyKey.replaceAll('-', '').slice(0, 12).toUpperCase()}`;
        const result = await this.#call(
          'escalation',
          tools,
          (s) =>
            escalationTool.createTicket(
              {
                sessionId: session.sessionId,
                userId: session.userId,
                requestId,
                reasons: decision.reasons,
                confidence: decision.confidence,
                summary: redact(message.slice(0, 500)),
                idempotencyKey,
              },
              { signal: s },
            ),
          signal,
        );
        if (!result.ok || typeof result.value?.ticketId !== 'string' || result.value.ticketId === '') {
          throw new Error(
            result.ok
              ? 'createTicket returned no ticketId'
              : (tools.errors.at(-1)?.error ?? 'createTicket failed'),
          );
        }
        return result.value.ticketId;
      },
      signal,
    );
    const summary: EscalationSummary = {
      escalate: true,
      reasons: decision.reasons,
      confidence: decision.confidence,
    };
    if (outcome.status === 'created' || outcome.status === 'existing') {
      summary.ticketId = outcome.ticketId;
      if (outcome.status === 'created') {
        this.#logger.info('session escalated to a human', {
          sessionId: session.sessionId,
          requestId,
          ticketId: outcome.ticketId,
          reasons: decision.reasons,
        });
      }
    } else if (outcome.status === 'pending') {
      summary.pending = true;
    } else if ('error' in outcome) {
      summary.error = outcome.error;
    }
    return summary;
  }

  async #decide(
    input: EscalationInput,
    tools: TurnTools,
    signal: AbortSignal | undefined,
  ): Promise<EscalationDecision> {
    const shouldEscalate = this.#tools.escalation?.shouldEscalate;
    if (typeof shouldEscalate === 'function') {
      const tool = this.#tools.escalation;
      const result = await this.#call(
        'escalation',
        tools,
        (s) => shouldEscalate.call(tool, input, { signal: s }),
        signal,
      );
      if (result.ok && typeof result.value?.escalate === 'boolean') {
        return {
          escalate: result.value.escalate,
          reasons: Array.isArray(result.value.reasons) ? result.value.reasons : [],
          confidence: typeof result.value.confidence === 'number' ? result.value.confidence : 0.5,
        };
      }
      // The tool failed: the built-in rules are better than never escalating.
    }
    try {
      return await this.#policy(input);
    } catch (error) {
      // A host policy's bug must not cost the customer the answer; it shows up in toolErrors.
      tools.failed('escalationPolicy', error);
      return { escalate: false, reasons: [], confidence: 0 };
    }
  }

  async #respond(context: GenerationContext, emit: Emit): Promise<string> {
    if (this.#generate === undefined) {
      const paragraphs = templateParagraphs({
        firstMessage: context.messageCount === 1,
        sources: context.sources,
        escalation: context.escalation,
      });
      paragraphs.forEach((paragraph, i) => {
        emit({ type: 'text', delta: i === 0 ? paragraph : `\n\n${paragraph}`, timestamp: now() });
      });
      return paragraphs.join('\n\n');
    }
    const signal = context.signal;
    const produced = await raceAbort(this.#generate(context), signal);
    if (typeof produced === 'string') {
      if (produced.length > 0) emit({ type: 'text', delta: produced, timestamp: now() });
      return produced;
    }
    if (!isAsyncIterable(produced)) {
      throw new TypeError('generateResponse must return a string or an async iterable of strings');
    }
    const iterator = produced[Symbol.asyncIterator]();
    let text = '';
    try {
      for (;;) {
        const step = await raceAbort(iterator.next(), signal);
        if (step.done === true) break;
        if (typeof step.value !== 'string') {
          throw new TypeError('generateResponse yielded a non-string delta');
        }
        text += step.value;
        if (step.value.length > 0) emit({ type: 'text', delta: step.value, timestamp: now() });
      }
    } catch (error) {
      // Let the generator run its finally blocks; ignore what that throws.
      void Promise.resolve(iterator.return?.()).catch(() => {});
      throw error;
    }
    return text;
  }

  async #remember(
    sessionId: string,
    message: string,
    answer: string,
    facts: ExtractedFact[],
    tools: TurnTools,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const memory = this.#tools.memory;
    if (memory === undefined) return;
    const entries: { content: string; contentType: 'context' | 'fact'; importance: number }[] = [
      { content: `User: ${message.slice(0, MEMORY_EXCERPT_CHARS)}`, contentType: 'context', importance: 0.5 },
    ];
    if (answer.length > MEMORY_RESPONSE_MIN_CHARS) {
      entries.push({
        content: `Agent: ${answer.slice(0, MEMORY_EXCERPT_CHARS)}`,
        contentType: 'context',
        importance: 0.4,
      });
    }
    for (const fact of facts) entries.push({ content: fact.text, contentType: 'fact', importance: 0.8 });
    // Writes are not idempotent: one attempt each, so a timed-out write is not stored twice.
    await Promise.all(
      entries.map((entry) =>
        this.#call('memory', tools, (s) => memory.store(sessionId, entry, { signal: s }), signal, 1),
      ),
    );
  }

  #confidence(escalation: EscalationSummary, sources: KnowledgeSource[]): number {
    if (escalation.escalate) return escalation.confidence;
    if (sources.length === 0) return 0.5;
    const scores = sources
      .slice(0, RESPONSE_SOURCES)
      .map((s) => (typeof s.score === 'number' ? s.score : 0.8));
    const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
    return Math.min(1, Math.max(0, mean));
  }

  #metadata(
    sessionId: string,
    requestId: string,
    messageCount: number | null,
    session: SessionData | undefined,
    facts: ExtractedFact[],
    tools: TurnTools,
    escalation: EscalationSummary | undefined,
  ): AgentResponse['metadata'] {
    return {
      sessionId,
      requestId,
      messageCount,
      threadId: session?.threadId ?? null,
      factsExtracted: facts.length,
      facts,
      ...(escalation?.ticketId === undefined ? {} : { ticketId: escalation.ticketId }),
      ...(escalation?.escalate === true ? { escalationReasons: escalation.reasons } : {}),
      ...(escalation?.pending === true ? { escalationPending: true } : {}),
      ...(escalation?.error === undefined ? {} : { escalationError: redact(escalation.error) }),
      toolErrors: tools.errors,
      toolMetrics: this.#runner.metrics(),
    };
  }

  /** Logs `reason` and answers the turn with the fallback message, the failure recorded as `code`. */
  #fallback(
    reason: string,
    code: string,
    error: unknown,
    turn: {
      sessionId: string;
      requestId: string;
      messageCount: number | null;
      session: SessionData | undefined;
      facts: ExtractedFact[];
      tools: TurnTools;
      escalation?: EscalationSummary;
      elapsed: number;
    },
  ): TurnResult {
    const message = redactError(error);
    this.#logger.error(reason, {
      sessionId: turn.sessionId,
      requestId: turn.requestId,
      code,
      error: message,
    });
    const response: AgentResponse = {
      message: FALLBACK_MESSAGE,
      sources: [],
      requiresEscalation: true,
      confidence: 0,
      toolsUsed: [...turn.tools.used],
      processingTimeMs: turn.elapsed,
      metadata: {
        ...this.#metadata(
          turn.sessionId,
          turn.requestId,
          turn.messageCount,
          turn.session,
          turn.facts,
          turn.tools,
          turn.escalation,
        ),
        error: code,
      },
    };
    return {
      response,
      failure: { code, message },
    };
  }
}
