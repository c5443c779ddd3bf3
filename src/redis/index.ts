// The Redis backend and the store factory.
export type { CreateSessionStoreConfig } from '../createSessionStore.js';
export { createSessionStore } from '../createSessionStore.js';
export type { RedisAclOptions } from './acl.js';
export { redisAclRules } from './acl.js';
export { BUCKETS as REDIS_BUCKETS } from './keys.js';
export type { RedisClient } from './RedisSessionStore.js';
export { RedisSessionStore } from './RedisSessionStore.js';
