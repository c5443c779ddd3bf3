// The shapes a turn takes in and gives back: the input, the response, the streamed events and the
// context handed to a host's own response generator.
import type { SessionData } from '../codec/SessionData.js';
import type { HistoryEntry } from './escalationPolicy.js';
import type { ExtractedFact } from './facts.js';
import type { ToolMetrics } from './runner/ToolMetrics.js';
import type { Attachment, KnowledgeSource, ProcessedAttachment } from './tools.js';

export interface ProcessMessageInput {
  sessionId: string;
  message: string;
  /**
   * Files sent with the message, read by the attachments tool.
   * @default []
   */
  attachments?: Attachment[];
  /**
   * Stored on the session when it has none yet.
   * @default none: the session keeps the user it has
   */
  userId?: string;
  /**
   * Earlier messages, for the escalation policy and the generator. Given, they replace the session's
   * stored history for this turn (the turn reads no items; it still appends its own two).
   * @default the session's most recent `historyLimit` message items from the store
   */
  history?: HistoryEntry[];
  /**
   * Correlates logs, tickets and indexed attachments. Stored on the session only when this turn creates
   * it (rewriting it every turn would cost a store command).
   * @default a random UUID
   */
  requestId?: string;
  /**
   * Aborts the turn: processMessage rejects with OperationAbortedError, a stream ends with `error`.
   * @default none
   */
  signal?: AbortSignal;
}

export interface ToolErrorInfo {
  tool: string;
  /** The error's message with emails and phone numbers masked. */
  error: string;
  /** The error's `code` when it has one, e.g. `TOOL_TIMEOUT`, `CIRCUIT_OPEN`. */
  code?: string;
}

/**
 * Codes in `metadata.error` of a fallback response: a store error's code (`STORE_UNAVAILABLE`,
 * `STORE_CLOSED`, `SESSION_DECODE`, `SESSION_VALIDATION`, …; `SESSION_STORE_ERROR` when a custom backend
 * threw an error that is not a SessionStoreError), `GENERATION_FAILED` when the host's `generateResponse`
 * threw, or `GENERATION_TIMEOUT` when it outlived `timeouts.generate`.
 */
export type TurnFailureCode = string;

export interface AgentResponseMetadata {
  sessionId: string;
  requestId: string;
  /** The session's message count after this message; null when the store failed before counting. */
  messageCount: number | null;
  threadId: string | null;
  factsExtracted: number;
  facts: ExtractedFact[];
  /** The session's one ticket, on every response once the session is escalated. */
  ticketId?: string;
  escalationReasons?: string[];
  /** True when another turn holds the escalation claim and its ticket did not appear within the wait. */
  escalationPending?: boolean;
  /** Set when ticket creation failed this turn; the claim was released so a later turn tries again. */
  escalationError?: string;
  /** Tools that failed or were unavailable this turn; the answer was produced without them. */
  toolErrors: ToolErrorInfo[];
  toolMetrics: Record<string, ToolMetrics>;
  /** Present only on a fallback response. */
  error?: TurnFailureCode;
}

export interface AgentResponse {
  message: string;
  /** Up to three knowledge-base sources the answer drew on. */
  sources: KnowledgeSource[];
  requiresEscalation: boolean;
  /** 0–1. The escalation decision's confidence when escalating; 0 on a fallback response. */
  confidence: number;
  /** Tools that answered at least one call this turn. */
  toolsUsed: string[];
  processingTimeMs: number;
  metadata: AgentResponseMetadata;
}

export type TurnStage =
  | 'session'
  | 'context'
  | 'attachments'
  | 'search'
  | 'escalation'
  | 'generate'
  | 'memory';

interface EventBase {
  /** ISO-8601. */
  timestamp: string;
}

export type AgentEvent =
  | (EventBase & { type: 'start'; sessionId: string; requestId: string })
  | (EventBase & { type: 'status'; stage: TurnStage; message: string })
  | (EventBase & { type: 'sources'; sources: KnowledgeSource[] })
  | (EventBase & { type: 'escalation'; required: true; reasons: string[]; ticketId?: string })
  | (EventBase & { type: 'text'; delta: string })
  | (EventBase & { type: 'complete'; response: AgentResponse })
  | (EventBase & {
      type: 'error';
      requestId: string;
      /** An error code (`OPERATION_ABORTED`, `STORE_UNAVAILABLE`, `GENERATION_FAILED`, …). */
      code: string;
      message: string;
      /** The fallback response, when the turn got far enough to build one. */
      response?: AgentResponse;
    });

export interface EscalationSummary {
  escalate: boolean;
  reasons: string[];
  confidence: number;
  ticketId?: string;
  /** Another turn holds the claim and its ticket did not appear in time. */
  pending?: boolean;
  /** Ticket creation failed this turn. */
  error?: string;
}

/** What a host's `generateResponse` receives. */
export interface GenerationContext {
  sessionId: string;
  requestId: string;
  message: string;
  /** Including this message; 1 on a session's first message. */
  messageCount: number;
  session: SessionData;
  /** Memory summary and recent points; empty when there is no memory tool or nothing stored. */
  memoryContext: string;
  attachments: ProcessedAttachment[];
  sources: KnowledgeSource[];
  escalation: EscalationSummary;
  facts: ExtractedFact[];
  /**
   * Earlier messages, oldest first: the caller's `history`, else the message items (`{ role, content }`)
   * among the session's most recent `historyLimit` stored items. This turn's message is not in it.
   */
  history: HistoryEntry[];
  signal: AbortSignal;
}

/** A string, or text deltas as an async iterable (forwarded to `streamResponse` as they arrive). */
export type GenerateResponse = (
  context: GenerationContext,
) => string | AsyncIterable<string> | PromiseLike<string | AsyncIterable<string>>;
