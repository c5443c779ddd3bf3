// A customer-support turn around a SessionStore: count the message, gather context from host-injected
// tools (each through the ToolRunner, so a failing tool degrades the answer instead of failing the turn),
// escalate to a human exactly once per session, answer, and remember. This class is the facade: options
// in agentOptions.ts, tool lifecycle in AgentToolSet.ts, the turn pipeline in turn/, the stream in
// streamAdapter.ts.
import { type AgentInitReport, AgentToolSet } from './AgentToolSet.js';
import { type CustomerSupportAgentOptions, resolveAgentOptions } from './agentOptions.js';
import type { EscalationClaimOptions } from './EscalationCoordinator.js';
import { EscalationCoordinator } from './EscalationCoordinator.js';
import { AgentClosedError } from './errors.js';
import type {
  EscalationDecision,
  EscalationInput,
  EscalationPolicyFunction,
  EscalationRuleOptions,
  HistoryEntry,
} from './escalationPolicy.js';
import { createRuleEscalationPolicy } from './escalationPolicy.js';
import { guardStore } from './storeGuard.js';
import { streamTurn } from './streamAdapter.js';
import { ToolRunner } from './ToolRunner.js';
import type {
  AgentTools,
  Attachment,
  AttachmentTool,
  CallOptions,
  EscalationTool,
  KnowledgeBaseTool,
  KnowledgeSource,
  MemoryEntry,
  MemoryTool,
  ProcessedAttachment,
  Ticket,
  TicketRequest,
  ToolSource,
} from './tools.js';
import { runTurn } from './turn/runTurn.js';
import type { Emit, TurnResult, TurnServices } from './turn/TurnContext.js';
import type {
  AgentEvent,
  AgentResponse,
  AgentResponseMetadata,
  EscalationSummary,
  GenerationContext,
  ProcessMessageInput,
  ToolErrorInfo,
  TurnFailureCode,
  TurnStage,
} from './types.js';

export type { AgentInitReport } from './AgentToolSet.js';
export type { CustomerSupportAgentOptions } from './agentOptions.js';

export class CustomerSupportAgent implements AsyncDisposable {
  readonly #services: TurnServices;
  readonly #toolSet: AgentToolSet;
  readonly #now: () => number;
  #closing: Promise<void> | undefined;

  /** Throws SessionValidationError, its `field` naming the option, on a bad option. */
  constructor(options: CustomerSupportAgentOptions) {
    const resolved = resolveAgentOptions(options);
    const runner = new ToolRunner({
      retry: options.retry,
      circuitBreaker: options.circuitBreaker,
      timeoutMs: resolved.timeoutMs,
      timeouts: resolved.timeouts,
      random: options.random,
      ...(resolved.injectedNow === undefined ? {} : { now: resolved.injectedNow }),
    });
    const policy = options.escalationPolicy;
    this.#toolSet = new AgentToolSet(resolved.tools, resolved.logger);
    this.#now = resolved.now;
    const store = guardStore(resolved.store);
    this.#services = {
      store,
      toolSet: this.#toolSet,
      runner,
      logger: resolved.logger,
      policy: typeof policy === 'function' ? policy : createRuleEscalationPolicy(policy),
      coordinator: new EscalationCoordinator(store, options.escalationClaim, resolved.now),
      generate: resolved.generateResponse,
      search: resolved.search,
      historyLimit: resolved.historyLimit,
      generateTimeoutMs: resolved.generateTimeoutMs,
      now: resolved.now,
      durationNow: resolved.durationNow,
    };
  }

  /** The runner every tool call goes through: metrics (`toolRunner.metrics()`) and events (`onRetry`, `onBreak`). */
  get toolRunner(): ToolRunner {
    return this.#services.runner;
  }

  /**
   * Builds tools given as factories and runs every tool's `initialize()`, all concurrently. A tool that
   * fails is left out (turns report it in `toolErrors`) and listed in the report. Idempotent; the first
   * turn calls it when the host did not.
   */
  initialize(): Promise<AgentInitReport> {
    if (this.#closing !== undefined) return Promise.reject(new AgentClosedError());
    return this.#toolSet.initialize();
  }

  /** Runs every tool's `cleanup()` concurrently. Idempotent. The store stays open: it is the host's. */
  close(): Promise<void> {
    this.#closing ??= this.#toolSet.cleanup();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * One turn. Never rejects because a tool failed (the answer degrades, `metadata.toolErrors` says how);
   * a store failure gives the fallback response (apology, `requiresEscalation: true`, `confidence: 0`,
   * `metadata.error` = the store error's code; `SESSION_STORE_ERROR` when a custom backend threw something
   * else, whose message the log line and the stream's `error` event carry). Rejects with SessionValidationError on bad input,
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
    return streamTurn(input, (turnInput, emit) => this.#turn(turnInput, emit), this.#now);
  }

  async #turn(input: ProcessMessageInput, emit: Emit): Promise<TurnResult> {
    if (this.#closing !== undefined) throw new AgentClosedError();
    return runTurn(this.#services, input, emit, () => this.initialize());
  }
}

// Outer names for the namespace below (inside it, a member would shadow the type it aliases).
type OuterKnowledgeBaseTool = KnowledgeBaseTool;
type OuterMemoryTool = MemoryTool;
type OuterAttachmentTool = AttachmentTool;
type OuterEscalationTool = EscalationTool;
type OuterKnowledgeSource = KnowledgeSource;
type OuterMemoryEntry = MemoryEntry;
type OuterAttachment = Attachment;
type OuterProcessedAttachment = ProcessedAttachment;
type OuterTicket = Ticket;
type OuterTicketRequest = TicketRequest;
type OuterCallOptions = CallOptions;
type OuterGenerationContext = GenerationContext;
type OuterEscalationSummary = EscalationSummary;
type OuterToolErrorInfo = ToolErrorInfo;
type OuterTurnStage = TurnStage;
type OuterTurnFailureCode = TurnFailureCode;
type OuterEscalationDecision = EscalationDecision;
type OuterEscalationInput = EscalationInput;
type OuterEscalationRuleOptions = EscalationRuleOptions;
type OuterHistoryEntry = HistoryEntry;
type OuterToolSource<T> = ToolSource<T>;

/**
 * The types that go with the agent: its options, the tool contracts a host implements, and what a
 * generator and a policy receive. `CustomerSupportAgent.Options`, `CustomerSupportAgent.KnowledgeBaseTool`, …
 */
export declare namespace CustomerSupportAgent {
  type Options = CustomerSupportAgentOptions;
  type InitReport = AgentInitReport;
  /** The tools a host injects (instances or async factories), by name. */
  type Tools = AgentTools;
  type KnowledgeBaseTool = OuterKnowledgeBaseTool;
  type MemoryTool = OuterMemoryTool;
  type AttachmentTool = OuterAttachmentTool;
  type EscalationTool = OuterEscalationTool;
  type KnowledgeSource = OuterKnowledgeSource;
  type MemoryEntry = OuterMemoryEntry;
  type Attachment = OuterAttachment;
  type ProcessedAttachment = OuterProcessedAttachment;
  type Ticket = OuterTicket;
  type TicketRequest = OuterTicketRequest;
  type CallOptions = OuterCallOptions;
  type GenerationContext = OuterGenerationContext;
  type EscalationSummary = OuterEscalationSummary;
  type ToolErrorInfo = OuterToolErrorInfo;
  type TurnStage = OuterTurnStage;
  type TurnFailureCode = OuterTurnFailureCode;
  type EscalationDecision = OuterEscalationDecision;
  type EscalationInput = OuterEscalationInput;
  type EscalationRuleOptions = OuterEscalationRuleOptions;
  type HistoryEntry = OuterHistoryEntry;
  type ToolSource<T> = OuterToolSource<T>;
  type ResponseMetadata = AgentResponseMetadata;
  type EscalationPolicy = EscalationPolicyFunction;
  type EscalationClaim = EscalationClaimOptions;
}
