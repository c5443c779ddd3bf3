// The Redis backend and the store factory.
export type { CreateSessionStoreConfig } from '../createSessionStore.js';
export { createSessionStore } from '../createSessionStore.js';
export { BUCKETS as REDIS_BUCKETS } from './keys.js';
export type { RedisClient } from './RedisSessionStore.js';
export { RedisSessionStore } from './RedisSessionStore.js';
