// The answer the agent gives when the host injects no generator: a greeting on the first message, cited
// source excerpts, the escalation notice with the ticket number, else a request for details.
import type { KnowledgeSource } from './tools.js';
import type { EscalationSummary } from './types.js';

export const GREETING = "Hello! I'm here to help you today.";
export const SOURCES_INTRO = 'Based on our information:';
export const ESCALATION_NOTICE =
  "I understand this is important to you. I'm connecting you with a human support specialist who can better assist you.";
export const ASK_FOR_DETAILS = "I'm here to help! Could you please provide more details about your inquiry?";
export const FALLBACK_MESSAGE =
  'I apologize, but I encountered an error processing your request. Please try again or contact support directly.';

/** Characters of each cited source shown in the template answer. */
const EXCERPT_CHARS = 200;
/** Sources cited in the template answer. */
const CITED_SOURCES = 2;

/** The answer's paragraphs; the answer is them joined by blank lines. */
export function templateParagraphs(input: {
  firstMessage: boolean;
  sources: readonly KnowledgeSource[];
  escalation: EscalationSummary;
}): string[] {
  const parts: string[] = [];
  if (input.firstMessage) parts.push(GREETING);
  if (input.sources.length > 0) {
    parts.push(SOURCES_INTRO);
    input.sources.slice(0, CITED_SOURCES).forEach((source, i) => {
      parts.push(`${i + 1}. ${source.content.slice(0, EXCERPT_CHARS)}...`);
    });
  }
  if (input.escalation.escalate) {
    parts.push(ESCALATION_NOTICE);
    if (input.escalation.ticketId !== undefined) {
      parts.push(`Your ticket number is: ${input.escalation.ticketId}`);
    }
  }
  if (parts.length === 0) parts.push(ASK_FOR_DETAILS);
  return parts;
}
