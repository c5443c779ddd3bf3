// A scripted support conversation streamed through CustomerSupportAgent: a greeting, a knowledge-base
// question, a message with an email address and an order number, and an angry demand for a human.
// Runs on the in-memory store; set REDIS_URL (e.g. redis://127.0.0.1:6379) to use RedisSessionStore.
//
//   npx tsx examples/support-agent.ts
import {
  CustomerSupportAgent,
  InMemorySessionStore,
  type KnowledgeBaseTool,
  type KnowledgeSource,
  type MemoryTool,
  RedisSessionStore,
  type SessionStore,
} from '../src/index.js';

/** A tiny knowledge base: each article scores by the share of its keywords found in the question. */
const articles = [
  {
    id: 'shipping',
    keywords: ['shipping', 'delivery', 'arrive', 'ship', 'long'],
    content:
      'Standard shipping takes 3-5 business days and express shipping 1-2 business days. Orders placed before 2 pm ship the same day; you receive a tracking link by email as soon as the parcel leaves our warehouse.',
  },
  {
    id: 'returns',
    keywords: ['return', 'refund', 'money', 'back'],
    content:
      'You can return any item within 30 days of delivery for a full refund to the original payment method. Start a return from your order page; refunds are issued within 5 business days of receiving the item.',
  },
];

const knowledgeBase: KnowledgeBaseTool = {
  async search(query, { k, threshold }): Promise<KnowledgeSource[]> {
    const words = query.toLowerCase().match(/[a-z]+/g) ?? [];
    return articles
      .map((a) => ({
        id: a.id,
        content: a.content,
        score:
          (a.keywords.filter((kw) => words.some((w) => w.startsWith(kw))).length / a.keywords.length) * 2,
      }))
      .filter((s) => s.score >= threshold / 2)
      .sort((a, b) => b.score - a.score)
      .slice(0, k)
      .map((s) => ({ ...s, score: Math.min(1, s.score) }));
  },
};

/** Memory in a Map: what the agent chooses to remember about each session. */
const notes = new Map<string, string[]>();
const memory: MemoryTool = {
  async summarize(sessionId) {
    const n = notes.get(sessionId)?.length ?? 0;
    return n === 0 ? '' : `${n} notes so far.`;
  },
  async retrieve(sessionId, { limit }) {
    return (notes.get(sessionId) ?? []).slice(-limit).map((content) => ({ content }));
  },
  async store(sessionId, { content }) {
    notes.set(sessionId, [...(notes.get(sessionId) ?? []), content]);
  },
};

const redisUrl = process.env.REDIS_URL;
const store: SessionStore =
  redisUrl === undefined || redisUrl === ''
    ? new InMemorySessionStore()
    : new RedisSessionStore({ url: redisUrl, keyPrefix: 'support-demo:' });

const agent = new CustomerSupportAgent({ store, tools: { knowledgeBase, memory } });

const script = [
  'Hi there!',
  'How long does shipping take?',
  'My email is jane.doe@example.com and my order number is A-10023. It has not arrived yet.',
  'This is RIDICULOUS!!! I want to speak to a human right now!',
];

const sessionId = `demo-${Date.now()}`;
console.log(`Session ${sessionId} on the ${store.storeType} store\n`);

try {
  for (const message of script) {
    console.log(`User:  ${message}`);
    process.stdout.write('Agent: ');
    for await (const event of agent.streamResponse({ sessionId, message })) {
      switch (event.type) {
        case 'text':
          process.stdout.write(event.delta.replace(/\n(?!\n)/g, '\n       '));
          break;
        case 'sources':
          // Shown after the answer; the answer cites them.
          break;
        case 'escalation':
          process.stdout.write(`[escalating: ${event.reasons.join(', ')}] `);
          break;
        case 'complete': {
          const { metadata, sources, confidence } = event.response;
          const details = [
            `message #${metadata.messageCount}`,
            `confidence ${confidence.toFixed(2)}`,
            sources.length > 0 ? `sources ${sources.map((s) => s.id).join(', ')}` : undefined,
            metadata.facts.length > 0 ? `facts: ${metadata.facts.map((f) => f.text).join('; ')}` : undefined,
            metadata.ticketId === undefined ? undefined : `ticket ${metadata.ticketId}`,
          ].filter((d) => d !== undefined);
          console.log(`\n       (${details.join(' | ')})\n`);
          break;
        }
        case 'error':
          console.log(`\n       [error ${event.code}: ${event.message}]\n`);
          break;
        default:
          break;
      }
    }
  }
  const session = await store.get(sessionId, { touch: false });
  console.log('Session afterwards:', {
    messageCount: session?.messageCount,
    escalated: session?.escalated,
    ticketId: session?.metadata.ticketId,
  });
  console.log('Remembered:', notes.get(sessionId));
} finally {
  await agent.close();
  await store.close();
}
