// Public API of agent-session-store: the names users write down. Option and result types that belong to
// one class live in its namespace (`SessionStore.GetOptions`, `CustomerSupportAgent.Options`, …).
// Helpers for backend authors are in `agent-session-store/backend`, the conformance kit in
// `agent-session-store/testing`, the `@openai/agents` session in `agent-session-store/openai-agents`.

export { CustomerSupportAgent } from './agent/CustomerSupportAgent.js';
export type { AgentErrorCode } from './agent/errors.js';
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
  isToolTimeoutError,
  NonRetryableToolError,
  OperationAbortedError,
  ToolTimeoutError,
} from './agent/errors.js';
export { createRuleEscalationPolicy } from './agent/escalationPolicy.js';
export { redact } from './agent/facts.js';
export { ToolRunner } from './agent/ToolRunner.js';
export type { AgentEvent, AgentResponse, GenerateResponse, ProcessMessageInput } from './agent/types.js';
export type { JsonObject, JsonValue } from './codec/json.js';
export type { PlainSessionData } from './codec/SessionCodec.js';
export { SessionCodec } from './codec/SessionCodec.js';
export type { SessionData, SessionInput, SessionPatch } from './codec/SessionData.js';
export { sessionDataSchema } from './codec/SessionData.js';
export type { CreateSessionStoreConfig } from './createSessionStore.js';
export { createSessionStore } from './createSessionStore.js';
export type { SessionStoreErrorCode } from './errors/errors.js';
export {
  isSessionConflictError,
  isSessionDecodeError,
  isSessionNotDurableError,
  isSessionStoreClosedError,
  isSessionStoreConfigError,
  isSessionStoreError,
  isSessionStoreUnavailableError,
  isSessionValidationError,
  SessionConflictError,
  SessionDecodeError,
  SessionNotDurableError,
  SessionStoreClosedError,
  SessionStoreConfigError,
  SessionStoreError,
  SessionStoreUnavailableError,
  SessionValidationError,
} from './errors/errors.js';
export type { Logger } from './logger.js';
export { InMemorySessionStore } from './memory/InMemorySessionStore.js';
export type { RedisClient } from './redis/connection.js';
export { RedisSessionStore } from './redis/RedisSessionStore.js';
export type { SessionStoreStats } from './store/SessionStore.js';
export { SessionStore } from './store/SessionStore.js';
