// The built-in escalation rules, used when no escalation tool is injected: an explicit request for a
// human, legal or compliance terms, frustration, and conversations that have gone on too long.
import { badOption, positiveInteger, withDefaults } from './optionChecks.js';

export interface EscalationInput {
  sessionId: string;
  message: string;
  /** The session's message count including this message. */
  messageCount: number;
  history: readonly HistoryEntry[];
  userId: string | null;
}

/** One earlier message, as the host keeps them. */
export interface HistoryEntry {
  role: string;
  content: string;
}

export interface EscalationDecision {
  escalate: boolean;
  /** Why, as short stable tags (`human_requested`, `legal`, `frustration`, `too_many_turns`) or the tool's own. */
  reasons: string[];
  /** 0–1: how sure the policy is about `escalate`. */
  confidence: number;
}

export interface EscalationRuleOptions {
  /**
   * Escalate once a session reaches this many messages; `Infinity` disables the rule.
   * @default 10
   */
  maxMessages?: number;
  /**
   * Exclamation marks in one message that count as frustration.
   * @default 3
   */
  exclamationThreshold?: number;
  /**
   * Extra phrases (case-insensitive, whole words) that count as a request for a human.
   * @default []
   */
  extraHumanTerms?: string[];
  /**
   * Extra legal/compliance terms (case-insensitive, whole words).
   * @default []
   */
  extraLegalTerms?: string[];
}

export const ESCALATION_RULE_DEFAULTS: Required<EscalationRuleOptions> = Object.freeze({
  maxMessages: 10,
  exclamationThreshold: 3,
  extraHumanTerms: [],
  extraLegalTerms: [],
});

/** A host's own policy: replaces the rules, not the exactly-once ticket handling. */
export type EscalationPolicyFunction = (
  input: EscalationInput,
) => EscalationDecision | PromiseLike<EscalationDecision>;

const HUMAN_REQUEST =
  /\b(?:(?:speak|talk|chat)\s+(?:to|with)\s+(?:a|an|some|your|the)?\s*(?:real\s+|live\s+|actual\s+)?(?:human|person|agent|representative|rep|someone|manager|supervisor)|(?:real|live|actual)\s+(?:human|person|agent)|human\s+(?:agent|being|support|representative)|(?:connect|transfer|put)\s+me\s+(?:to|through\s+to|with)|(?:get|need|want)\s+(?:me\s+)?(?:a|an)\s+(?:human|person|representative|agent|manager|supervisor)|customer\s+service\s+representative|escalate)\b/i;

const LEGAL =
  /\b(?:lawyers?|attorneys?|lawsuits?|sue|suing|sued|legal\s+action|legal\s+team|litigation|small\s+claims|gdpr|ccpa|hipaa|compliance|regulator|ombudsman|data\s+protection|chargeback)\b/i;

const FRUSTRATION =
  /\b(?:angry|furious|livid|ridiculous|unacceptable|outrageous|disgusting|terrible|horrible|awful|worst|useless|pathetic|fed\s+up|sick\s+of|waste\s+of\s+time)\b/i;

function termsPattern(terms: readonly string[]): RegExp | undefined {
  if (terms.length === 0) return undefined;
  const escaped = terms.map((t) =>
    t
      .trim()
      .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      .replace(/\s+/g, '\\s+'),
  );
  return new RegExp(`\\b(?:${escaped.join('|')})\\b`, 'i');
}

/** True when most of the letters are capitals and there are enough words to be shouting, not an acronym. */
function isShouting(message: string): boolean {
  const words = message.match(/[A-Za-z]{2,}/g) ?? [];
  const letters = words.join('');
  if (words.length < 3 || letters.length < 10) return false;
  let upper = 0;
  for (const ch of letters) if (ch >= 'A' && ch <= 'Z') upper += 1;
  return upper / letters.length >= 0.8;
}

/** Builds the rule policy. Throws SessionValidationError (naming the option) on a bad option. */
export function createRuleEscalationPolicy(options: EscalationRuleOptions = {}): EscalationPolicyFunction {
  const { maxMessages, exclamationThreshold, extraHumanTerms, extraLegalTerms } = withDefaults(
    ESCALATION_RULE_DEFAULTS,
    options,
  );
  if (typeof maxMessages !== 'number' || Number.isNaN(maxMessages) || maxMessages < 1) {
    badOption(
      'escalationPolicy.maxMessages',
      'escalationPolicy.maxMessages option must be a number >= 1 (Infinity disables it)',
    );
  }
  positiveInteger(exclamationThreshold, 'escalationPolicy.exclamationThreshold');
  const extraHuman = termsPattern(extraHumanTerms);
  const extraLegal = termsPattern(extraLegalTerms);
  return ({ message, messageCount }) => {
    const reasons: string[] = [];
    let confidence = 0;
    if (HUMAN_REQUEST.test(message) || extraHuman?.test(message)) {
      reasons.push('human_requested');
      confidence = Math.max(confidence, 0.95);
    }
    if (LEGAL.test(message) || extraLegal?.test(message)) {
      reasons.push('legal');
      confidence = Math.max(confidence, 0.9);
    }
    const exclamations = message.match(/!/g)?.length ?? 0;
    if (FRUSTRATION.test(message) || exclamations >= exclamationThreshold || isShouting(message)) {
      reasons.push('frustration');
      confidence = Math.max(confidence, 0.8);
    }
    if (messageCount >= maxMessages) {
      reasons.push('too_many_turns');
      confidence = Math.max(confidence, 0.7);
    }
    const escalate = reasons.length > 0;
    return { escalate, reasons, confidence: escalate ? confidence : 0.9 };
  };
}
