// The built-in escalation rules, table-driven.
import { describe, expect, it } from 'vitest';
import { createRuleEscalationPolicy, type EscalationInput } from './escalationPolicy.js';

const input = (message: string, messageCount = 1): EscalationInput => ({
  sessionId: 's',
  message,
  messageCount,
  history: [],
  userId: null,
});

describe('createRuleEscalationPolicy', () => {
  const policy = createRuleEscalationPolicy();

  it.each([
    ['I want to speak to a human', ['human_requested']],
    ['Can I talk with a real person?', ['human_requested']],
    ['Please transfer me to a representative', ['human_requested']],
    ['I need a manager', ['human_requested']],
    ['My lawyer will hear about this', ['legal']],
    ['I will sue you', ['legal']],
    ['We are considering legal action', ['legal']],
    ['This is a GDPR data request', ['legal']],
    ['Is this compliant with compliance rules?', ['legal']],
    ['This is ridiculous', ['frustration']],
    ['Worst service ever', ['frustration']],
    ['Where is my parcel!!!', ['frustration']],
    ['WHERE IS MY REFUND ALREADY', ['frustration']],
    ["I'm furious, get me a human now!!!", ['human_requested', 'frustration']],
  ])('%j escalates for %j', async (message, reasons) => {
    const decision = await policy(input(message));
    expect(decision.escalate).toBe(true);
    expect(decision.reasons).toEqual(reasons);
    expect(decision.confidence).toBeGreaterThan(0.5);
  });

  it.each([
    'Hi, how do I reset my password?',
    'What is your refund policy?',
    'Thanks!',
    'My NASA and FBI tickets',
    'I ordered two items',
    'Is it legal to return opened items?',
  ])('%j does not escalate', async (message) => {
    const decision = await policy(input(message));
    expect(decision).toEqual({ escalate: false, reasons: [], confidence: 0.9 });
  });

  it('escalates on the configured turn count', async () => {
    const strict = createRuleEscalationPolicy({ maxMessages: 3 });
    expect((await strict(input('hello', 2))).escalate).toBe(false);
    expect(await strict(input('hello', 3))).toMatchObject({ escalate: true, reasons: ['too_many_turns'] });
    expect((await policy(input('hello', 10))).reasons).toEqual(['too_many_turns']);
    expect((await policy(input('hello', 9))).escalate).toBe(false);
  });

  it('accepts extra terms and validates its options', async () => {
    const custom = createRuleEscalationPolicy({
      extraLegalTerms: ['data breach'],
      extraHumanTerms: ['callback'],
    });
    expect((await custom(input('there was a data breach'))).reasons).toEqual(['legal']);
    expect((await custom(input('request a callback'))).reasons).toEqual(['human_requested']);
    expect(() => createRuleEscalationPolicy({ maxMessages: 0 })).toThrow(/maxMessages/);
    expect(() => createRuleEscalationPolicy({ exclamationThreshold: 0 })).toThrow(
      expect.objectContaining({ code: 'SESSION_VALIDATION', field: 'escalationPolicy.exclamationThreshold' }),
    );
  });
});
