// Stage `escalation`: decide whether the turn needs a human (the escalation tool's `shouldEscalate`, else
// the policy), and if so make sure the session has its one ticket through the EscalationCoordinator.
import type { EscalationDecision, EscalationInput } from '../escalationPolicy.js';
import { storedReasons, ticketIdOf } from '../escalationRecord.js';
import { redactedExcerpt } from '../facts.js';
import type { EscalationSummary } from '../types.js';
import type { TurnContext } from './TurnContext.js';

/** Characters of the message sent to the ticket system as the ticket's summary (redacted). */
const TICKET_SUMMARY_CHARS = 500;
/** Confidence assumed when the escalation tool's decision does not carry one. */
const TOOL_DEFAULT_CONFIDENCE = 0.5;

/** Needs `ctx.session` and `ctx.latest` (the `session` stage). */
export async function checkEscalation(ctx: TurnContext): Promise<EscalationSummary> {
  const session = ctx.session;
  const latest = ctx.latest;
  if (session === undefined || latest === undefined)
    throw new Error('checkEscalation runs after countMessage');
  const existing = ticketIdOf(session);
  // An escalated session stays escalated: no policy call, no store call, the same ticket.
  if (session.escalated && existing !== undefined) {
    return { escalate: true, reasons: storedReasons(session), confidence: 1, ticketId: existing };
  }
  const decision: EscalationDecision = session.escalated
    ? // Another turn holds the claim right now: join it.
      { escalate: true, reasons: storedReasons(session), confidence: 1 }
    : await decide(ctx, {
        sessionId: session.sessionId,
        message: ctx.message,
        messageCount: session.messageCount,
        history: ctx.history,
        userId: session.userId,
      });
  if (!decision.escalate) return { escalate: false, reasons: [], confidence: decision.confidence };
  const outcome = await ctx.services.coordinator.escalate({
    session: latest.session,
    expectedVersion: latest.version,
    reasons: decision.reasons,
    createTicket: (idempotencyKey) => createTicket(ctx, decision, idempotencyKey),
    signal: ctx.signal,
  });
  const summary: EscalationSummary = {
    escalate: true,
    reasons: decision.reasons,
    confidence: decision.confidence,
  };
  if (outcome.status === 'created' || outcome.status === 'existing') {
    summary.ticketId = outcome.ticketId;
    if (outcome.status === 'created') {
      ctx.services.logger.info('session escalated to a human', {
        sessionId: session.sessionId,
        requestId: ctx.requestId,
        ticketId: outcome.ticketId,
        reasons: decision.reasons,
      });
    }
  } else if (outcome.status === 'pending') {
    summary.pending = true;
  } else if ('error' in outcome) {
    summary.error = outcome.error;
  }
  return summary;
}

async function decide(ctx: TurnContext, input: EscalationInput): Promise<EscalationDecision> {
  const tool = ctx.tools.escalation;
  const shouldEscalate = tool?.shouldEscalate;
  if (typeof shouldEscalate === 'function') {
    const result = await ctx.call('escalation', (signal) => shouldEscalate.call(tool, input, { signal }));
    if (result.ok && typeof result.value?.escalate === 'boolean') {
      return {
        escalate: result.value.escalate,
        reasons: Array.isArray(result.value.reasons) ? result.value.reasons : [],
        confidence:
          typeof result.value.confidence === 'number' ? result.value.confidence : TOOL_DEFAULT_CONFIDENCE,
      };
    }
    // The tool failed: the built-in rules are better than never escalating.
  }
  try {
    return await ctx.services.policy(input);
  } catch (error) {
    // A host policy's bug must not cost the customer the answer; it shows up in toolErrors.
    ctx.toolFailed('escalationPolicy', error);
    return { escalate: false, reasons: [], confidence: 0 };
  }
}

/** The winner's ticket: the escalation tool's, or a local id derived from the claim when there is no tool. */
async function createTicket(
  ctx: TurnContext,
  decision: EscalationDecision,
  idempotencyKey: string,
): Promise<string> {
  const tool = ctx.tools.escalation;
  if (tool === undefined) return `ESC-${idempotencyKey.replaceAll('-', '').slice(0, 12).toUpperCase()}`;
  const session = ctx.session;
  const result = await ctx.call('escalation', (signal) =>
    tool.createTicket(
      {
        sessionId: ctx.sessionId,
        userId: session?.userId ?? null,
        requestId: ctx.requestId,
        reasons: decision.reasons,
        confidence: decision.confidence,
        summary: redactedExcerpt(ctx.message, TICKET_SUMMARY_CHARS),
        idempotencyKey,
      },
      { signal },
    ),
  );
  if (!result.ok || typeof result.value?.ticketId !== 'string' || result.value.ticketId === '') {
    throw new Error(
      result.ok
        ? 'createTicket returned no ticketId'
        : (ctx.toolErrors.at(-1)?.error ?? 'createTicket failed'),
    );
  }
  return result.value.ticketId;
}
