// `npm run demo`: one support conversation carried by two app instances, A and B, as happens behind a load
// balancer. Each instance has its own CustomerSupportAgent and its own store; the user's messages land on
// A and B in turn, every answer is streamed as it is produced, and when the user asks for a human on both
// instances at the same moment exactly one ticket is opened.
//
//   npm run demo                                    A and B in this process, one in-memory store
//   REDIS_URL=redis://127.0.0.1:6379 npm run demo   A and B each with its own RedisSessionStore
//
// The answers come from the agent's built-in template, not from a language model: pass `generateResponse`
// to CustomerSupportAgent to plug one in (see the end of this file).

import {
  CustomerSupportAgent,
  InMemorySessionStore,
  RedisSessionStore,
  type SessionStore,
} from '../src/index.js';

/** Two help-centre articles; each scores by the share of its keywords found in the question. */
const articles = [
  {
    id: 'shipping',
    keywords: ['shipping', 'delivery', 'arrive', 'ship', 'long'],
    content:
      'Standard shipping takes 3-5 business days and express shipping 1-2 business days. Orders placed before 2 pm ship the same day.',
  },
  {
    id: 'returns',
    keywords: ['return', 'refund', 'money', 'back'],
    content:
      'You can return any item within 30 days of delivery for a full refund to the original payment method.',
  },
];

const knowledgeBase: CustomerSupportAgent.KnowledgeBaseTool = {
  async search(query, { k, threshold }) {
    const words = query.toLowerCase().match(/[a-z]+/g) ?? [];
    return articles
      .map((a) => ({
        id: a.id,
        content: a.content,
        score: Math.min(1, (2 * a.keywords.filter((kw) => words.some((w) => w.startsWith(kw))).length) / 5),
      }))
      .filter((s) => s.score >= threshold)
      .sort((a, b) => b.score - a.score)
      .slice(0, k);
  },
};

/** The help desk both instances call; it counts the tickets it opens. */
const opened: string[] = [];
const helpDesk: CustomerSupportAgent.EscalationTool = {
  async createTicket({ sessionId }) {
    await new Promise((resolve) => setTimeout(resolve, 50)); // a remote call takes a moment
    const ticketId = `TKT-${1000 + opened.length + 1}`;
    opened.push(`${ticketId} for ${sessionId}`);
    return { ticketId };
  },
};

const redisUrl = process.env.REDIS_URL || undefined;

/** Each app instance: its own agent on its own store (two stores sharing one Redis), or on the shared one. */
function stores(): { a: SessionStore; b: SessionStore; where: string } {
  if (redisUrl !== undefined) {
    const options = { url: redisUrl, keyPrefix: 'support-demo:' };
    return {
      a: new RedisSessionStore(options),
      b: new RedisSessionStore(options),
      where: `Redis at ${redisUrl}`,
    };
  }
  // Two InMemorySessionStore objects would not share anything: an in-memory store lives in one process.
  // So without Redis both instances run in this process on ONE store.
  const shared = new InMemorySessionStore();
  return { a: shared, b: shared, where: 'one in-memory store shared inside this process' };
}

const { a: storeA, b: storeB, where } = stores();
const instances = {
  A: new CustomerSupportAgent({ store: storeA, tools: { knowledgeBase, escalation: helpDesk } }),
  B: new CustomerSupportAgent({ store: storeB, tools: { knowledgeBase, escalation: helpDesk } }),
};

async function closeAll(): Promise<void> {
  await Promise.all([instances.A.close(), instances.B.close()]);
  await Promise.all([storeA.close(), storeB.close()]);
}

// Fail in one line when Redis is not there, instead of a stack trace on the first message.
if (redisUrl !== undefined && !(await Promise.all([storeA.ping(), storeB.ping()])).every(Boolean)) {
  await closeAll();
  console.error(
    `Cannot reach Redis at ${redisUrl}: start a redis-server there (e.g. \`redis-server --port 6379\`), or run \`npm run demo\` without REDIS_URL to use the in-memory store.`,
  );
  process.exit(1);
}

const sessionId = `demo-${Date.now()}`;
const line = '-'.repeat(100);
console.log(line);
console.log(`Conversation ${sessionId}: app instances A and B, sessions in ${where}.`);
if (redisUrl === undefined) {
  console.log(
    '(Set REDIS_URL=redis://host:port to give A and B each its own RedisSessionStore on that server.)',
  );
}
console.log(
  'Answers come from the built-in TEMPLATE, not a language model: pass generateResponse to plug one in.',
);
console.log(line);

/** One user message on one instance, its answer printed delta by delta as the stream produces it. */
async function turn(on: keyof typeof instances, message: string): Promise<void> {
  console.log(`\nUser -> ${on}: ${message}`);
  process.stdout.write(`${on}: `);
  for await (const event of instances[on].streamResponse({ sessionId, message, userId: 'user-7' })) {
    if (event.type === 'text') process.stdout.write(event.delta.replace(/\n(?=[^\n])/g, '\n   '));
    else if (event.type === 'escalation') {
      process.stdout.write(`[escalation event: ticket ${event.ticketId ?? 'pending'}]\n   `);
    } else if (event.type === 'complete') {
      const { metadata, sources } = event.response;
      const cited = sources.length > 0 ? ` | sources ${sources.map((s) => s.id).join(', ')}` : '';
      console.log(
        `\n   (message #${metadata.messageCount} of the session, thread ${metadata.threadId}${cited})`,
      );
    } else if (event.type === 'error') {
      console.log(`\n   [${event.code}: ${event.message}]`);
    }
  }
}

try {
  await turn('A', 'Hi there!');
  await turn('B', 'How long does shipping take?');
  await turn('A', 'My order A-10023 has not arrived yet, my email is jane.doe@example.com.');

  // The user, losing patience, sends the same demand twice; the two requests land on A and on B at once.
  const demand = 'This is ridiculous, I want to speak to a human now!';
  console.log(`\nUser -> A and B at the same moment: ${demand}`);
  const [onA, onB] = await Promise.all([
    instances.A.processMessage({ sessionId, message: demand }),
    instances.B.processMessage({ sessionId, message: demand }),
  ]);
  console.log(`A: escalated=${onA.requiresEscalation}, ticket ${onA.metadata.ticketId}`);
  console.log(`B: escalated=${onB.requiresEscalation}, ticket ${onB.metadata.ticketId}`);

  await turn('B', 'Thanks, I will wait.');

  const session = await storeB.get(sessionId, { touch: false });
  console.log(`\n${line}`);
  console.log(
    `Session as both instances see it: ${session?.messageCount} messages, escalated=${session?.escalated}, ticket ${String(session?.metadata.ticketId)}`,
  );
  console.log(`Tickets the help desk opened: ${opened.length} (${opened.join('; ')})`);
  console.log(line);
  console.log(`To answer with a model instead of the template, give each agent a generator, e.g.:

  new CustomerSupportAgent({
    store,
    tools,
    generateResponse: async function* ({ message, sources, memoryContext, signal }) {
      yield* myModel.stream({ message, sources, memoryContext }, { signal }); // string deltas
    },
  });

Stream events are described in docs/agent-events.md; the Express and Fastify examples serve this agent over HTTP.`);
  if (opened.length !== 1) process.exitCode = 1;
  if (redisUrl !== undefined) await storeA.delete(sessionId);
} finally {
  await closeAll();
}
