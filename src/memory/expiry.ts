// Finding InMemorySessionStore's expired entries without scanning: every entry has a node in an expiry
// heap at `scheduledMs` (entry.ts), and nodes are never updated in place, so these functions tell the
// entry's scheduled node from the stale ones of replaced, deleted or slid entries.
import type { LRUCache } from 'lru-cache';
import type { ExpiryHeap } from './ExpiryHeap.js';
import type { Entry } from './entry.js';

/** Rebuilds the heap with one node per entry in `cache`, at its expiry (dropping every stale node). */
export function compactExpiries(cache: LRUCache<string, Entry>, expiries: ExpiryHeap<Entry>): void {
  const nodes: [number, Entry][] = [];
  for (const entry of cache.values()) {
    entry.scheduledMs = entry.expiresAtMs;
    nodes.push([entry.expiresAtMs, entry]);
  }
  expiries.rebuild(nodes);
}

/** Deletes from `cache` every entry expired at `now` (epoch ms); returns how many it deleted. */
export function purgeExpired(
  cache: LRUCache<string, Entry>,
  expiries: ExpiryHeap<Entry>,
  now: number,
): number {
  let removed = 0;
  expiries.popDue(now, (entry, at) => {
    const id = entry.session.sessionId;
    // Only the entry's scheduled node counts; other nodes belong to replaced entries or earlier plans.
    if (entry.scheduledMs !== at || cache.peek(id) !== entry) return;
    if (entry.expiresAtMs <= now) {
      cache.delete(id);
      removed += 1;
    } else {
      // Slid since this node was pushed: schedule it at its current expiry, which lies after `now`.
      entry.scheduledMs = entry.expiresAtMs;
      expiries.push(entry.expiresAtMs, entry);
    }
  });
  return removed;
}
