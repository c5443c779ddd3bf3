// RedisSessionStore and createSessionStore: filled in by the Redis work.
export {};
