// One turn's state, handed to every stage instead of positional arguments: the validated input, what
// the agent lends the turn (store, tools, runner, …), the tool bookkeeping, and what the stages produce.
import { randomUUID } from 'node:crypto';
import type { SessionData } from '../../codec/SessionData.js';
import { SessionValidationError } from '../../errors/errors.js';
import type { Logger } from '../../logger.js';
import { validateSessionId } from '../../store/validation.js';
import type { AgentToolSet, ResolvedTools } from '../AgentToolSet.js';
import type { EscalationCoordinator } from '../EscalationCoordinator.js';
import { isOperationAbortedError } from '../errors.js';
import type { EscalationPolicyFunction, HistoryEntry } from '../escalationPolicy.js';
import { type ExtractedFact, extractFacts, redactError } from '../facts.js';
import type { AgentStore } from '../storeGuard.js';
import type { ToolRunner } from '../ToolRunner.js';
import type { Attachment, KnowledgeSource, ProcessedAttachment, ToolName } from '../tools.js';
import type {
  AgentEvent,
  AgentResponse,
  EscalationSummary,
  GenerateResponse,
  ProcessMessageInput,
  ToolErrorInfo,
  TurnStage,
} from '../types.js';

/** What the agent lends every turn. */
export interface TurnServices {
  /** The host's store; whatever it throws is a SessionStoreError. */
  store: AgentStore;
  toolSet: AgentToolSet;
  runner: ToolRunner;
  logger: Logger;
  policy: EscalationPolicyFunction;
  coordinator: EscalationCoordinator;
  generate: GenerateResponse | undefined;
  search: { k: number; threshold: number };
  /** Stored history items read per turn. */
  historyLimit: number;
  /** The time limit of one generateResponse call, ms. */
  generateTimeoutMs: number;
  /** Wall clock, ms since the epoch, for event timestamps. */
  now: () => number;
  /** Clock for `processingTimeMs`, in milliseconds. */
  durationNow: () => number;
}

/** A stream event before its timestamp is added. */
export type TurnEvent = AgentEvent extends infer E
  ? E extends AgentEvent
    ? Omit<E, 'timestamp'>
    : never
  : never;

/** Receives the stream events except the terminal one; a no-op for processMessage. */
export type Emit = (event: AgentEvent) => void;

/** A turn's result: the response, plus why it is a fallback when it is one. */
export interface TurnResult {
  response: AgentResponse;
  failure?: { code: string; message: string };
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

export class TurnContext {
  readonly sessionId: string;
  readonly message: string;
  readonly attachments: Attachment[];
  /** The `history` the caller gave, which replaces the stored one; undefined when none was given. */
  readonly callerHistory: HistoryEntry[] | undefined;
  readonly requestId: string;
  readonly userId: string | undefined;
  readonly signal: AbortSignal | undefined;
  /** Emails, phone numbers and references in the message; known before any stage runs. */
  readonly facts: ExtractedFact[];
  /** Tools that answered at least one call this turn. */
  readonly used = new Set<string>();
  /** Tools that failed or were unavailable this turn. */
  readonly toolErrors: ToolErrorInfo[] = [];

  // Filled in by the stages, in pipeline order.
  /** Earlier messages for the policy and the generator: the caller's, else the stored log's recent ones. */
  history: HistoryEntry[] = [];
  /** The session with this turn's message count. */
  session: SessionData | undefined;
  /** The message count after this message; null until counted. */
  messageCount: number | null = null;
  /** The freshest stored state this turn's own reads and writes showed, and the version it has. */
  latest: { session: SessionData; version: number | undefined } | undefined;
  sources: KnowledgeSource[] = [];
  processed: ProcessedAttachment[] = [];
  escalation: EscalationSummary | undefined;

  readonly #started: number;

  /** Validates `input`; throws SessionValidationError naming the field. */
  constructor(
    readonly services: TurnServices,
    input: ProcessMessageInput,
    readonly emitRaw: Emit,
  ) {
    this.#started = services.durationNow();
    if (typeof input !== 'object' || input === null) {
      throw new SessionValidationError('processMessage expects an object with sessionId and message', {
        field: 'input',
      });
    }
    this.sessionId = validateSessionId(input.sessionId);
    if (typeof input.message !== 'string') {
      throw new SessionValidationError('message must be a string', { field: 'message' });
    }
    this.message = input.message;
    const attachments = input.attachments ?? [];
    if (!Array.isArray(attachments)) {
      throw new SessionValidationError('attachments must be an array', { field: 'attachments' });
    }
    const history = input.history;
    if (history !== undefined && !Array.isArray(history)) {
      throw new SessionValidationError('history must be an array of { role, content }', { field: 'history' });
    }
    this.attachments = attachments;
    this.callerHistory = history;
    this.requestId = input.requestId ?? randomUUID();
    this.userId = input.userId;
    this.signal = input.signal;
    this.facts = extractFacts(this.message);
  }

  /** The tools that initialized. */
  get tools(): ResolvedTools {
    return this.services.toolSet.tools;
  }

  /** Milliseconds since the turn started. */
  elapsed(): number {
    return this.services.durationNow() - this.#started;
  }

  /** ISO-8601 for an event. */
  timestamp(): string {
    return new Date(this.services.now()).toISOString();
  }

  emit(event: TurnEvent): void {
    this.emitRaw({ ...event, timestamp: this.timestamp() } as AgentEvent);
  }

  status(stage: TurnStage): void {
    this.emit({ type: 'status', stage, message: STATUS[stage] });
  }

  /** Records a failed tool (its error redacted) for `metadata.toolErrors`. */
  toolFailed(tool: string, error: unknown): void {
    const code = (error as { code?: unknown } | null)?.code;
    this.toolErrors.push({ tool, error: redactError(error), ...(typeof code === 'string' ? { code } : {}) });
  }

  /**
   * Calls a tool through the runner. A failure is recorded and logged and the result says `ok: false`, so
   * the stage degrades; only an abort of the turn propagates. `maxAttempts` 1 is for calls that are not
   * safe to repeat.
   */
  async call<T>(
    tool: ToolName,
    fn: (signal: AbortSignal) => Promise<T>,
    maxAttempts?: number,
  ): Promise<{ ok: true; value: T } | { ok: false }> {
    try {
      const value = await this.services.runner.run(tool, ({ signal }) => fn(signal), {
        signal: this.signal,
        ...(maxAttempts === undefined ? {} : { maxAttempts }),
      });
      this.used.add(tool);
      return { ok: true, value };
    } catch (error) {
      if (isOperationAbortedError(error)) throw error;
      this.toolFailed(tool, error);
      this.services.logger.warn('agent tool failed; answering without it', {
        tool,
        code: (error as { code?: unknown } | null)?.code,
        error: redactError(error),
      });
      return { ok: false };
    }
  }
}
