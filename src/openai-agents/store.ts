// The part of a SessionStore the adapter calls: the five history methods of DESIGN §9. Any SessionStore
// (memory, Redis, a custom backend) has them; a test double only needs these.
import type { SessionStore } from '../store/SessionStore.js';

export type HistoryStore = Pick<
  SessionStore,
  'appendItems' | 'getItems' | 'popItem' | 'replaceItems' | 'clearItems'
>;
