// One app instance for the cross-process test: `tsx openai-agents-worker.ts <redisUrl> <keyPrefix>
// <sessionId> <message>` runs one turn of an @openai/agents agent (stand-in model, no network) with an
// OpenAIAgentsSession on a RedisSessionStore, and prints what its model was given and answered, as JSON.
import { Agent, run, setTracingDisabled } from '@openai/agents-core';
import { RedisSessionStore } from '../src/index.js';
import { OpenAIAgentsSession } from '../src/openai-agents/index.js';
import { StandInModel } from './openai-agents-model.js';

setTracingDisabled(true);
const [url, keyPrefix, sessionId, message] = process.argv.slice(2) as [string, string, string, string];
const store = new RedisSessionStore({ url, keyPrefix });
try {
  const model = new StandInModel();
  const agent = new Agent({ name: 'support', instructions: 'Be brief.', model });
  const result = await run(agent, message, { session: new OpenAIAgentsSession({ store, sessionId }) });
  process.stdout.write(
    `${JSON.stringify({ pid: process.pid, input: model.inputs[0], output: result.finalOutput })}\n`,
  );
} finally {
  await store.close();
}
