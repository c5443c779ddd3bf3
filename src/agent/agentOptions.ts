// CustomerSupportAgent's options, their defaults, and the one place they are validated.
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import type { SessionStore } from '../store/SessionStore.js';
import type { EscalationClaimOptions } from './EscalationCoordinator.js';
import type { EscalationPolicyFunction, EscalationRuleOptions } from './escalationPolicy.js';
import { badOption, finiteNumber, optionalFunction, positiveInteger, withDefaults } from './optionChecks.js';
import type { CircuitBreakerOptions } from './runner/CircuitBreaker.js';
import type { RetryOptions } from './runner/retry.js';
import type { AgentTools, ToolName } from './tools.js';
import type { GenerateResponse } from './types.js';

/** Knowledge-base search settings. */
export interface AgentSearchOptions {
  /**
   * Sources asked for per search.
   * @default 5
   */
  k?: number;
  /**
   * Lowest score a source may have; passed to the tool, which does the filtering.
   * @default 0.7
   */
  threshold?: number;
}

export interface CustomerSupportAgentOptions {
  /** Where sessions live. Required. The host's: `close()` does not close it. */
  store: SessionStore;
  /**
   * Host-injected tools, as instances or async factories. A missing tool degrades the answer.
   * @default {}
   */
  tools?: AgentTools;
  /**
   * Produces the answer.
   * @default the built-in template answer (greeting, cited sources, escalation notice)
   */
  generateResponse?: GenerateResponse;
  /**
   * Backoff for tool calls; each field is documented on RetryOptions.
   * @default { maxAttempts: 3, initialDelayMs: 200, maxDelayMs: 5000, multiplier: 2, jitter: 0.5 }
   */
  retry?: RetryOptions;
  /**
   * Per-attempt timeout by tool (`knowledgeBase`, `memory`, `attachments`, `escalation`), in
   * milliseconds, plus `default` for the others, and `generate`: the time limit of one `generateResponse`
   * call, text deltas included. When it expires the generator's signal aborts (with a
   * GenerationTimeoutError) and the turn answers with the fallback, `metadata.error` `GENERATION_TIMEOUT`.
   * @default { default: 10000, attachments: 30000, generate: 30000 }
   */
  timeouts?: Partial<Record<ToolName | 'default' | 'generate', number>>;
  /**
   * Per-tool breaker; each field is documented on CircuitBreakerOptions.
   * @default { failureThreshold: 5, resetTimeoutMs: 30000 }
   */
  circuitBreaker?: CircuitBreakerOptions;
  /**
   * Receives only redacted text (emails and phone numbers masked).
   * @default a silent logger
   */
  logger?: Logger;
  /**
   * Options of the built-in rules, or a function that replaces them. An escalation tool with
   * `shouldEscalate` replaces both.
   * @default the built-in rules with their defaults
   */
  escalationPolicy?: EscalationRuleOptions | EscalationPolicyFunction;
  /**
   * How concurrent turns agree on one ticket; each field is documented on EscalationClaimOptions.
   * @default { waitMs: 15000, pollIntervalMs: 50, staleAfterMs: 120000, maxClaimAttempts: 100 }
   */
  escalationClaim?: EscalationClaimOptions;
  /**
   * Knowledge-base search; each field is documented on AgentSearchOptions.
   * @default { k: 5, threshold: 0.7 }
   */
  search?: AgentSearchOptions;
  /**
   * How many of the session's most recent history items each turn reads from the store (in the same
   * command that counts the message) and gives `generateResponse` and the escalation policy as `history`.
   * 0 reads none. A caller-supplied `history` replaces them.
   * @default 20
   */
  historyLimit?: number;
  /**
   * Source of randomness for backoff jitter, returning [0, 1).
   * @default Math.random
   */
  random?: () => number;
  /**
   * The wall clock, in milliseconds since the epoch: event timestamps, escalation claim ages (compared
   * across instances) and, when given, the tool runner's breakers and latencies and `processingTimeMs`.
   * Tests inject a fake one instead of waiting.
   * @default Date.now (and performance.now for durations)
   */
  now?: () => number;
}

/** The agent's own defaults; the tool runner's and the coordinator's live beside their options. */
export const AGENT_DEFAULTS = Object.freeze({
  tools: Object.freeze({}) as AgentTools,
  logger: silentLogger,
  timeouts: Object.freeze({ default: 10_000, attachments: 30_000, generate: 30_000 }),
  search: Object.freeze({ k: 5, threshold: 0.7 }) as Required<AgentSearchOptions>,
  historyLimit: 20,
});

/** The options after defaults and validation. */
export interface ResolvedAgentOptions {
  store: SessionStore;
  tools: AgentTools;
  generateResponse: GenerateResponse | undefined;
  logger: Logger;
  search: Required<AgentSearchOptions>;
  historyLimit: number;
  /** Wall clock, ms since the epoch. */
  now: () => number;
  /** Clock for durations, ms; the host's `now` when given, else performance.now. */
  durationNow: () => number;
  /** The host's `now`, only when given: the runner keeps its own monotonic default otherwise. */
  injectedNow: (() => number) | undefined;
  /** Tool runner timeouts: the default, and per tool. */
  timeoutMs: number;
  timeouts: Record<string, number>;
  /** The time limit of one generateResponse call, ms. */
  generateTimeoutMs: number;
}

/** Throws SessionValidationError, `field` naming the option, on a bad option. */
export function resolveAgentOptions(options: CustomerSupportAgentOptions): ResolvedAgentOptions {
  const { store, tools = AGENT_DEFAULTS.tools, generateResponse, timeouts = {} } = options ?? {};
  if (typeof store?.beginTurn !== 'function' || typeof store.appendItems !== 'function') {
    badOption('store', 'store option is required: a SessionStore such as InMemorySessionStore');
  }
  optionalFunction(generateResponse, 'generateResponse');
  const search = withDefaults(AGENT_DEFAULTS.search, options.search);
  positiveInteger(search.k, 'search.k');
  if (typeof search.threshold !== 'number' || Number.isNaN(search.threshold)) {
    badOption('search.threshold', 'search.threshold option must be a number');
  }
  const historyLimit = options.historyLimit ?? AGENT_DEFAULTS.historyLimit;
  if (!Number.isSafeInteger(historyLimit) || historyLimit < 0) {
    badOption('historyLimit', 'historyLimit option must be a nonnegative integer');
  }
  const injectedNow = optionalFunction(options.now, 'now');
  const { default: defaultTimeout, generate: generateTimeout, ...perTool } = timeouts;
  return {
    store,
    tools: { ...tools },
    generateResponse,
    logger: options.logger ?? AGENT_DEFAULTS.logger,
    search,
    historyLimit,
    now: injectedNow ?? Date.now,
    durationNow: injectedNow ?? (() => performance.now()),
    injectedNow,
    timeoutMs: defaultTimeout ?? AGENT_DEFAULTS.timeouts.default,
    timeouts: { attachments: AGENT_DEFAULTS.timeouts.attachments, ...(perTool as Record<string, number>) },
    generateTimeoutMs: finiteNumber(generateTimeout ?? AGENT_DEFAULTS.timeouts.generate, 'timeouts.generate'),
  };
}
