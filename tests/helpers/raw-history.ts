// Writing history text past every check, for the conformance kit's `history.appendRawItems` (what a damaged
// store would hold) and for tests that call a backend's history hooks directly.
import type { SessionStore } from '../../src/index.js';
import { absentSessionInit, type HistoryWriteContext } from '../../src/store/history.js';

/**
 * The context SessionStore would build for an append without `operationId` or TTL, with no item limit
 * (`maxItems` unlimited unless `overrides` say otherwise) and no thread id for a session it creates.
 */
export function rawHistoryContext(overrides: Partial<HistoryWriteContext> = {}): HistoryWriteContext {
  return {
    init: absentSessionInit(null),
    ttlMs: undefined,
    operation: undefined,
    maxItems: Number.MAX_SAFE_INTEGER,
    overflow: 'reject',
    ...overrides,
  };
}

/** A store's protected storage hook, reached from outside the class: only tests do this. */
interface AppendHook {
  doAppendItems(id: string, texts: readonly string[], context: HistoryWriteContext): Promise<number>;
}

/**
 * Appends `texts` as they are through `store`'s doAppendItems (the hook every backend implements),
 * skipping the validation and encoding of SessionStore.appendItems.
 */
export async function appendRawItems(store: SessionStore, id: string, texts: string[]): Promise<void> {
  await (store as unknown as AppendHook).doAppendItems(id, texts, rawHistoryContext());
}
