// The session every benchmark stores: what a support conversation carries after a few turns (a handful of
// metadata keys, one small nested object and one small array), so copy and encode costs are realistic.
import type { SessionInput } from '../src/codec/SessionData.js';

export function sessionInput(i: number): SessionInput {
  return {
    userId: `user-${i % 5000}`,
    threadId: `thread-${i}-7f3a9c`,
    messageCount: 7,
    escalated: false,
    requestId: `req-${i}-a41b`,
    metadata: {
      locale: 'en-GB',
      channel: 'web',
      plan: 'pro',
      lastIntent: 'refund_request',
      turns: 7,
      verified: true,
      customer: { tier: 'gold', region: 'eu-west', accountAgeDays: 412 },
      tags: ['billing', 'refund', 'priority'],
    },
  };
}

/** `count` ids, distinct per benchmark run so parallel runs against one Redis never collide. */
export function sessionIds(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
}
