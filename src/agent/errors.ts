// Errors of the agent helper and its tool runner. Like the store errors, each carries a stable `code` and
// a guard that recognises it by a global symbol plus that code, so guards survive duplicate package copies.

/** Stable codes, one per error class. */
export type AgentErrorCode =
  | 'AGENT_ERROR'
  | 'TOOL_TIMEOUT'
  | 'GENERATION_TIMEOUT'
  | 'CIRCUIT_OPEN'
  | 'TOOL_NON_RETRYABLE'
  | 'OPERATION_ABORTED'
  | 'AGENT_CLOSED';

const MARKER = Symbol.for('agent-session-store.agent-error');

/** Base class of the errors the agent helper and ToolRunner throw on purpose. */
export class AgentError extends Error {
  readonly code: AgentErrorCode = 'AGENT_ERROR';
  readonly [MARKER] = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One attempt of a tool call outlived its timeout. Retryable by default. */
export class ToolTimeoutError extends AgentError {
  override readonly code = 'TOOL_TIMEOUT' as const;
  readonly tool: string;
  /** The per-attempt timeout that elapsed, in milliseconds. */
  readonly timeoutMs: number;

  constructor(tool: string, timeoutMs: number) {
    super(
      `Tool "${tool}" did not answer within ${timeoutMs} ms; raise its entry in the \`timeouts\` option if it needs longer`,
    );
    this.tool = tool;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The host's `generateResponse` did not finish within `timeouts.generate`: its signal was aborted with
 * this error, and the turn answered with the fallback (`metadata.error` `GENERATION_TIMEOUT`).
 */
export class GenerationTimeoutError extends AgentError {
  override readonly code = 'GENERATION_TIMEOUT' as const;
  /** The time limit that elapsed, in milliseconds. */
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super(
      `generateResponse did not finish within ${timeoutMs} ms; raise \`timeouts.generate\` if it needs longer`,
    );
    this.timeoutMs = timeoutMs;
  }
}

/** The tool's circuit breaker is open (or its half-open probe is in flight): the tool was not called. */
export class CircuitOpenError extends AgentError {
  override readonly code = 'CIRCUIT_OPEN' as const;
  readonly tool: string;
  /** Milliseconds until the breaker lets a probe call through; 0 while a probe is already in flight. */
  readonly retryAfterMs: number;
  /** Never retried by the runner: waiting out the breaker inside one call would defeat it. */
  readonly retryable = false;

  constructor(tool: string, retryAfterMs: number) {
    super(`Tool "${tool}" is failing; its circuit breaker is open for another ${retryAfterMs} ms`);
    this.tool = tool;
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * Thrown by a tool to say "retrying will not help" (bad input, not found, permission denied). The runner
 * gives up at once, and the failure does not count towards the circuit breaker: the tool did answer.
 * Any error with a `retryable: false` property is treated the same way.
 */
export class NonRetryableToolError extends AgentError {
  override readonly code = 'TOOL_NON_RETRYABLE' as const;
  readonly retryable = false;
}

/** The caller's AbortSignal fired. `cause` holds the signal's reason. */
export class OperationAbortedError extends AgentError {
  override readonly code = 'OPERATION_ABORTED' as const;

  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The agent was closed; it accepts no further turns. */
export class AgentClosedError extends AgentError {
  override readonly code = 'AGENT_CLOSED' as const;

  constructor() {
    super('The CustomerSupportAgent is closed');
  }
}

function hasCode(error: unknown, code: AgentErrorCode): boolean {
  return isAgentError(error) && error.code === code;
}

export const isAgentError = (error: unknown): error is AgentError =>
  typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
export const isToolTimeoutError = (error: unknown): error is ToolTimeoutError =>
  hasCode(error, 'TOOL_TIMEOUT');
export const isGenerationTimeoutError = (error: unknown): error is GenerationTimeoutError =>
  hasCode(error, 'GENERATION_TIMEOUT');
export const isCircuitOpenError = (error: unknown): error is CircuitOpenError =>
  hasCode(error, 'CIRCUIT_OPEN');
export const isNonRetryableToolError = (error: unknown): error is NonRetryableToolError =>
  hasCode(error, 'TOOL_NON_RETRYABLE');
export const isOperationAbortedError = (error: unknown): error is OperationAbortedError =>
  hasCode(error, 'OPERATION_ABORTED');
export const isAgentClosedError = (error: unknown): error is AgentClosedError =>
  hasCode(error, 'AGENT_CLOSED');

/**
 * The runner's default retry predicate: timeouts and ordinary errors are retried; aborts, open circuits,
 * NonRetryableToolError and anything carrying `retryable: false` are not.
 */
export function isRetryableToolError(error: unknown): boolean {
  if (isOperationAbortedError(error) || isCircuitOpenError(error)) return false;
  if (isToolTimeoutError(error)) return true;
  if (typeof error === 'object' && error !== null && (error as { retryable?: unknown }).retryable === false) {
    return false;
  }
  return true;
}
