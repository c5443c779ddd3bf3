// The turn's AgentResponse: the answer with its sources, confidence and metadata, or the fallback
// response (apology, `requiresEscalation: true`, `confidence: 0`, `metadata.error`) when it failed.
import { redact, redactError } from '../facts.js';
import { FALLBACK_MESSAGE } from '../template.js';
import type { KnowledgeSource } from '../tools.js';
import type { AgentResponse, EscalationSummary } from '../types.js';
import type { TurnContext, TurnResult } from './TurnContext.js';

/** Sources returned on a response. */
export const RESPONSE_SOURCES = 3;
/** Confidence when nothing was found to cite: the answer rests on the generator alone. */
const NO_SOURCES_CONFIDENCE = 0.5;
/** Score assumed for a source whose tool gave none. */
const UNSCORED_SOURCE = 0.8;

/** The escalation decision's confidence when escalating, else the mean score of the cited sources. */
function confidence(escalation: EscalationSummary, sources: KnowledgeSource[]): number {
  if (escalation.escalate) return escalation.confidence;
  if (sources.length === 0) return NO_SOURCES_CONFIDENCE;
  const scores = sources
    .slice(0, RESPONSE_SOURCES)
    .map((s) => (typeof s.score === 'number' ? s.score : UNSCORED_SOURCE));
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  return Math.min(1, Math.max(0, mean));
}

function metadata(ctx: TurnContext): AgentResponse['metadata'] {
  const escalation = ctx.escalation;
  return {
    sessionId: ctx.sessionId,
    requestId: ctx.requestId,
    messageCount: ctx.messageCount,
    threadId: ctx.session?.threadId ?? null,
    factsExtracted: ctx.facts.length,
    facts: ctx.facts,
    ...(escalation?.ticketId === undefined ? {} : { ticketId: escalation.ticketId }),
    ...(escalation?.escalate === true ? { escalationReasons: escalation.reasons } : {}),
    ...(escalation?.pending === true ? { escalationPending: true } : {}),
    ...(escalation?.error === undefined ? {} : { escalationError: redact(escalation.error) }),
    toolErrors: ctx.toolErrors,
    toolMetrics: ctx.services.runner.metrics(),
  };
}

/** The response of a turn whose every stage ran. */
export function answerResponse(ctx: TurnContext, text: string): AgentResponse {
  const escalation = ctx.escalation ?? { escalate: false, reasons: [], confidence: 0 };
  return {
    message: text,
    sources: ctx.sources.slice(0, RESPONSE_SOURCES),
    requiresEscalation: escalation.escalate,
    confidence: confidence(escalation, ctx.sources),
    toolsUsed: [...ctx.used],
    processingTimeMs: ctx.elapsed(),
    metadata: metadata(ctx),
  };
}

/** Logs `reason` and answers the turn with the fallback message, the failure recorded as `code`. */
export function fallbackResult(ctx: TurnContext, reason: string, code: string, error: unknown): TurnResult {
  const message = redactError(error);
  ctx.services.logger.error(reason, {
    sessionId: ctx.sessionId,
    requestId: ctx.requestId,
    code,
    error: message,
  });
  const response: AgentResponse = {
    message: FALLBACK_MESSAGE,
    sources: [],
    requiresEscalation: true,
    confidence: 0,
    toolsUsed: [...ctx.used],
    processingTimeMs: ctx.elapsed(),
    metadata: { ...metadata(ctx), error: code },
  };
  return { response, failure: { code, message } };
}
