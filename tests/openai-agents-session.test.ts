// OpenAIAgentsSession over the in-memory store (the suite itself is in openai-agents-session.suite.ts;
// another backend runs it with one more describeOpenAIAgentsSession call).
import { InMemorySessionStore } from '../src/index.js';
import { describeOpenAIAgentsSession } from './openai-agents-session.suite.js';

describeOpenAIAgentsSession('InMemorySessionStore', (options) => new InMemorySessionStore(options));
