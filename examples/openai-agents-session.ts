// An @openai/agents agent whose conversation lives in a SessionStore: the first turn runs on one app
// instance, the second on another, and the second one's model sees the first turn. The model is a
// local stand-in (no network, no API key).
// With REDIS_URL set, each instance has its own RedisSessionStore connection, as two processes would.
// Without it, both instances share one InMemorySessionStore: the same code path, but only within this
// process (an in-memory store is not shared between processes; use Redis for that).
// Run: npx tsx examples/openai-agents-session.ts   (or REDIS_URL=redis://127.0.0.1:6379 npx tsx …)
import {
  Agent,
  type AgentInputItem,
  type Model,
  type ModelRequest,
  type ModelResponse,
  run,
  setTracingDisabled,
  Usage,
} from '@openai/agents';
import { InMemorySessionStore, RedisSessionStore, type SessionStore } from '../src/index.js';
import { OpenAIAgentsSession } from '../src/openai-agents/index.js';

setTracingDisabled(true);

/** Stands in for an LLM: says how many user messages of the conversation it was given. */
class StandInModel implements Model {
  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    const input: AgentInputItem[] =
      typeof request.input === 'string' ? [{ role: 'user', content: request.input }] : request.input;
    const said = input.flatMap((item) =>
      'role' in item && item.role === 'user' && typeof item.content === 'string' ? [item.content] : [],
    );
    const text = `I have ${said.length} message(s) from you: ${said.map((s) => `"${s}"`).join(', ')}`;
    return {
      usage: new Usage(),
      output: [
        { type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text }] },
      ],
    };
  }

  // biome-ignore lint/correctness/useYield: the stand-in does not stream; run() without `stream` never calls this.
  async *getStreamedResponse(): AsyncIterable<never> {
    throw new Error('The stand-in model does not stream');
  }
}

const agent = new Agent({ name: 'Support', instructions: 'Answer briefly.', model: new StandInModel() });
const url = process.env.REDIS_URL;
const keyPrefix = `oa-demo-${process.pid}:`;
if (!url) {
  console.log('REDIS_URL is not set: both app instances share one in-memory store in this process.');
}
const shared = url ? undefined : new InMemorySessionStore();
const openStore = (): SessionStore => shared ?? new RedisSessionStore({ url: url as string, keyPrefix });
const instanceA = openStore();
const instanceB = openStore();

try {
  const conversation = 'chat-42';
  // Turn 1 on instance A.
  const first = await run(agent, 'My order #1234 is late.', {
    session: new OpenAIAgentsSession({ store: instanceA, sessionId: conversation }),
  });
  console.log(`A: ${first.finalOutput}`);

  // Turn 2 on instance B: a new session object, same store data, same conversation id.
  const session = new OpenAIAgentsSession({ store: instanceB, sessionId: conversation });
  const second = await run(agent, 'Can you check again?', { session });
  console.log(`B: ${second.finalOutput}`);

  const items = await session.getItems();
  console.log(`The conversation holds ${items.length} items.`);
  if (items.length !== 4 || !String(second.finalOutput).startsWith('I have 2 message(s)')) {
    throw new Error('instance B did not continue the conversation of instance A');
  }
  await instanceB.delete(conversation); // removes the session and its items
} finally {
  await Promise.all([...new Set([instanceA, instanceB])].map((store) => store.close()));
}
