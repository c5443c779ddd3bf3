// OpenAIAgentsSession over RedisSessionStore on a real redis-server: the adapter suite (the SDK's
// MemorySession expectations and the capabilities) with a fresh key prefix per store, and
// `run(agent, input, { session })` continuing one conversation across two Node processes.
import { afterAll, beforeAll } from 'vitest';
import { RedisSessionStore } from '../src/index.js';
import type { RedisServerHandle } from './helpers/redis-process.js';
import { startRedis } from './helpers/redis-standalone.js';
import { describeOpenAIAgentsAcrossProcesses } from './openai-agents-process.suite.js';
import { describeOpenAIAgentsSession } from './openai-agents-session.suite.js';

let server: RedisServerHandle;
let n = 0;

beforeAll(async () => {
  server = await startRedis();
});

afterAll(async () => {
  await server?.stop();
});

describeOpenAIAgentsSession('RedisSessionStore', (options) => {
  n += 1;
  return new RedisSessionStore({ url: server.url, keyPrefix: `oa${n}:`, ...options });
});

describeOpenAIAgentsAcrossProcesses('RedisSessionStore', () => server.url);
