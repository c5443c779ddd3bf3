// The tool contracts a host implements and injects into CustomerSupportAgent. Every method receives an
// AbortSignal that fires on timeout or when the turn is aborted; honouring it frees resources early.
import type { JsonValue } from '../codec/json.js';
import type { EscalationDecision, EscalationInput } from './escalationPolicy.js';

/** Optional lifecycle hooks any tool may have. */
export interface ToolLifecycle {
  /** Called once by `agent.initialize()`, concurrently with the other tools. */
  initialize?(): void | Promise<void>;
  /** Called once by `agent.close()`, concurrently with the other tools. */
  cleanup?(): void | Promise<void>;
}

export interface CallOptions {
  signal: AbortSignal;
}

/** One knowledge-base hit. */
export interface KnowledgeSource {
  id?: string;
  content: string;
  /** Relevance, 0–1 when the tool can say. */
  score?: number;
  metadata?: Record<string, JsonValue>;
}

export interface KnowledgeBaseTool extends ToolLifecycle {
  /** Up to `k` sources whose score is at least `threshold`, best first. */
  search(
    query: string,
    options: { k: number; threshold: number; signal: AbortSignal },
  ): Promise<KnowledgeSource[]>;
  /** Indexes attachment chunks; `metadatas[i]` describes `documents[i]`. */
  addDocuments?(
    documents: string[],
    metadatas: Record<string, JsonValue>[],
    options?: CallOptions,
  ): Promise<void>;
}

export interface MemoryEntry {
  content: string;
  contentType?: string;
  importance?: number;
}

export interface MemoryTool extends ToolLifecycle {
  /** A short summary of what is known about the session; empty when nothing is. */
  summarize(sessionId: string, options: CallOptions): Promise<string>;
  /** Recent entries, newest first. */
  retrieve(
    sessionId: string,
    options: { contentType?: string; limit: number; signal: AbortSignal },
  ): Promise<MemoryEntry[]>;
  store(
    sessionId: string,
    entry: { content: string; contentType: 'context' | 'fact'; importance: number },
    options: CallOptions,
  ): Promise<void>;
}

/** A file the user sent with a message. */
export interface Attachment {
  filename: string;
  /** Where the host saved it, if on disk. */
  path?: string;
  /** The content, if the host has it in memory. */
  content?: string | Uint8Array;
  contentType?: string;
}

export interface ProcessedAttachment {
  filename: string;
  /** A short excerpt shown to the response generator. */
  preview?: string;
  /** Text chunks to index into the knowledge base. */
  chunks?: string[];
}

export interface AttachmentTool extends ToolLifecycle {
  process(attachment: Attachment, options: CallOptions): Promise<ProcessedAttachment>;
}

export interface TicketRequest {
  sessionId: string;
  userId: string | null;
  requestId: string;
  reasons: string[];
  confidence: number;
  /** The triggering message with emails and phone numbers masked. */
  summary: string;
  /**
   * Stable for this escalation claim: a retried `createTicket` (after a timeout whose outcome is unknown)
   * carries the same key, so a ticket system that deduplicates on it never opens two tickets.
   */
  idempotencyKey: string;
}

export interface Ticket {
  ticketId: string;
  [key: string]: JsonValue;
}

export interface EscalationTool extends ToolLifecycle {
  /** Replaces the built-in rule policy when given; without it the rules (or `escalationPolicy`) decide. */
  shouldEscalate?(input: EscalationInput, options: CallOptions): Promise<EscalationDecision>;
  createTicket(request: TicketRequest, options: CallOptions): Promise<Ticket>;
}

/** A tool instance, or an async factory `initialize()` calls to build it. */
export type ToolSource<T> = T | (() => T | Promise<T>);

export interface AgentTools {
  knowledgeBase?: ToolSource<KnowledgeBaseTool>;
  memory?: ToolSource<MemoryTool>;
  attachments?: ToolSource<AttachmentTool>;
  escalation?: ToolSource<EscalationTool>;
}

/** The tool names used for metrics, breakers, `toolsUsed` and `timeouts` keys. */
export type ToolName = keyof AgentTools;
