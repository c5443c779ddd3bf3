// The support-agent helper: CustomerSupportAgent, the ToolRunner every tool call goes through, the
// built-in escalation rules, fact extraction and the tool contracts a host implements.
export type { AgentInitReport, CustomerSupportAgentOptions } from './CustomerSupportAgent.js';
export { CustomerSupportAgent } from './CustomerSupportAgent.js';
export type { EscalationClaimOptions, EscalationOutcome } from './EscalationCoordinator.js';
export type { AgentErrorCode } from './errors.js';
export {
  AgentClosedError,
  AgentError,
  CircuitOpenError,
  GenerationTimeoutError,
  isAgentClosedError,
  isAgentError,
  isCircuitOpenError,
  isGenerationTimeoutError,
  isNonRetryableToolError,
  isOperationAbortedError,
  isRetryableToolError,
  isToolTimeoutError,
  NonRetryableToolError,
  OperationAbortedError,
  ToolTimeoutError,
} from './errors.js';
export type {
  EscalationDecision,
  EscalationInput,
  EscalationPolicyFunction,
  EscalationRuleOptions,
  HistoryEntry,
} from './escalationPolicy.js';
export { createRuleEscalationPolicy } from './escalationPolicy.js';
export type { ExtractedFact, FactKind } from './facts.js';
export { extractFacts, redact } from './facts.js';
export type { CircuitBreakerOptions, CircuitState } from './runner/CircuitBreaker.js';
export type { BreakEvent, CircuitEvent, RetryEvent } from './runner/events.js';
export type { RetryOptions } from './runner/retry.js';
export type { ToolMetrics } from './runner/ToolMetrics.js';
export type { ToolCallContext } from './runner/timeout.js';
export type { ToolCallOptions, ToolRunnerOptions } from './ToolRunner.js';
export { ToolRunner } from './ToolRunner.js';
export {
  ASK_FOR_DETAILS,
  ESCALATION_NOTICE,
  FALLBACK_MESSAGE,
  GREETING,
  SOURCES_INTRO,
} from './template.js';
export type {
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
  ToolLifecycle,
  ToolName,
  ToolSource,
} from './tools.js';
export type {
  AgentEvent,
  AgentResponse,
  AgentResponseMetadata,
  EscalationSummary,
  GenerateResponse,
  GenerationContext,
  ProcessMessageInput,
  ToolErrorInfo,
  TurnFailureCode,
  TurnStage,
} from './types.js';
