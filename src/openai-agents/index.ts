// agent-session-store/openai-agents: a durable `Session` for @openai/agents on any SessionStore.
// Requires the optional peer dependency @openai/agents-core; the root entry never imports this one.

export type { OpenAIAgentsSessionOptions } from './OpenAIAgentsSession.js';
export { OpenAIAgentsSession } from './OpenAIAgentsSession.js';
export type { HistoryStore } from './store.js';
