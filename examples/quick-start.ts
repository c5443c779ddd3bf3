// Quick start: one conversation's state on the in-memory store. Run: npx tsx examples/quick-start.ts
import { InMemorySessionStore, isSessionConflictError } from '../src/index.js';

const store = new InMemorySessionStore({ defaultTtlSeconds: 30 * 60, maxSessions: 10_000 });

// A message arrives: create the session on first sight (atomic: exactly one caller creates it).
const { session, created } = await store.getOrCreate('chat-42', {
  userId: 'user-7',
  metadata: { channel: 'web' },
});
console.log(`session ${session.sessionId} created=${created} thread=${session.threadId}`);

// Count the message atomically and remember something about the user.
const count = await store.incrementCounter('chat-42', 'messageCount');
await store.update('chat-42', { metadata: { plan: 'pro', lastTopic: 'billing' } });
console.log(`messages so far: ${count}`);

// Optimistic concurrency: an update based on a stale read is refused, not lost.
const current = await store.get('chat-42');
await store.update('chat-42', { escalated: true }, { expectedVersion: current?.version });
try {
  await store.update('chat-42', { escalated: false }, { expectedVersion: current?.version });
} catch (error) {
  if (isSessionConflictError(error)) console.log(`stale write refused: ${error.message}`);
  else throw error;
}

const final = await store.get('chat-42');
console.log('stored session:', {
  userId: final?.userId,
  messageCount: final?.messageCount,
  escalated: final?.escalated,
  metadata: final?.metadata,
  version: final?.version,
  expiresAt: final?.expiresAt?.toISOString(),
});
console.log(`active sessions: ${await store.countActive()}`);
await store.close();
