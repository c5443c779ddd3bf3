import { describe, it } from 'vitest';
import { InMemorySessionStore } from '../src/index.js';
import type { HistoryWriteContext } from '../src/store/history.js';
import { describeSessionStoreConformance } from '../src/testing/index.js';

/** Writes history text through the storage hook, past every check: what a damaged store would hold. */
class RawItemsMemoryStore extends InMemorySessionStore {
  async appendRaw(id: string, texts: string[]): Promise<void> {
    await this.doAppendItems(id, texts, RAW_CONTEXT);
  }
}

const RAW_CONTEXT: HistoryWriteContext = {
  init: {
    userId: null,
    threadId: null,
    messageCount: 0,
    escalated: false,
    metadata: {},
    requestId: null,
    createdAt: undefined,
  },
  ttlMs: undefined,
  operation: undefined,
  maxItems: Number.MAX_SAFE_INTEGER,
  overflow: 'reject',
};

describeSessionStoreConformance(
  'InMemorySessionStore',
  ({ now, options }) => new RawItemsMemoryStore({ ...options, now }),
  {
    clock: 'manual',
    describe,
    it,
    history: {
      appendRawItems: (store, id, texts) => (store as RawItemsMemoryStore).appendRaw(id, texts),
    },
  },
);
