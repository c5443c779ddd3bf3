// Public API of agent-session-store: the names users write down. Option and result types that belong to
// one class live in its namespace (`SessionStore.GetOptions`, `CustomerSupportAgent.Options`, …).
// Helpers for backend authors are in `agent-session-store/backend`, the conformance kit in
// `agent-session-store/testing`, the `@openai/agents` session in `agent-session-store/openai-agents`.
//
// Where each concept lives (one concept per file):
// - the contract: store/SessionStore.ts (class), store/types.ts (options, results, `@default`s),
//   store/validation.ts (input checks), store/items.ts (history items), store/history.ts and
//   store/beginTurn.ts (what backends share); codec/SessionData.ts, codec/SessionCodec.ts; errors/errors.ts.
// - in memory: memory/InMemorySessionStore.ts, its options.ts, entry.ts, expiry.ts.
// - Redis: redis/RedisSessionStore.ts (hooks) over options.ts, connection.ts, liveness.ts (lost routes),
//   deadlines.ts, runner.ts, replies.ts and connect-errors.ts (typed errors), durability.ts (WAIT),
//   Script.ts and send.ts (script identity, EVAL/EVALSHA), layout.ts and record.ts (the stored record),
//   lua.ts, scripts.ts, indexScripts.ts, historyScripts.ts (the Lua), history.ts, keys.ts (hash slots),
//   fanout.ts (Cluster), acl.ts (least-privilege rules); createSessionStore.ts picks a store.
// - the agent: agent/CustomerSupportAgent.ts (facade), agentOptions.ts, turn/ (one file per stage, run by
//   turn/runTurn.ts), streamAdapter.ts (events), AgentToolSet.ts (tool lifecycle), ToolRunner.ts over
//   runner/ (retry, timeout, CircuitBreaker, ToolMetrics, events), EscalationCoordinator.ts and
//   escalationRecord.ts (exactly-once escalation), escalationPolicy.ts, facts.ts (redaction, facts).
// - entries: backend/index.ts, testing/ (the conformance groups, registered in testing/groups.ts),
//   openai-agents/ (the @openai/agents Session).

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
