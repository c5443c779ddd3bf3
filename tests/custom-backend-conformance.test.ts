// The example backend in examples/custom-backend.ts passes the same suite as the built-in stores.
import { describe, expect, it } from 'vitest';
import { MapSessionStore } from '../examples/custom-backend.js';
import type { HistoryWriteContext } from '../src/store/history.js';
import { describeSessionStoreConformance } from '../src/testing/index.js';

/** Writes history text through the storage hook, past every check: what a damaged row would hold. */
class RawItemsMapStore extends MapSessionStore {
  async appendRaw(id: string, texts: string[]): Promise<void> {
    const context: HistoryWriteContext = {
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
    await this.doAppendItems(id, texts, context);
  }
}

describeSessionStoreConformance(
  'MapSessionStore (examples/custom-backend.ts)',
  ({ now, options }) => new RawItemsMapStore({ ...options, now }),
  {
    clock: 'manual',
    describe,
    it,
    history: {
      appendRawItems: (store, id, texts) => (store as RawItemsMapStore).appendRaw(id, texts),
    },
  },
);

describe('SessionStore.set around a backend', () => {
  // A backend written against another promise library hands back its own thenable.
  class ThenableSetStore extends MapSessionStore {
    protected override doSet(...args: Parameters<MapSessionStore['doSet']>) {
      const native = super.doSet(...args);
      // biome-ignore lint/suspicious/noThenProperty: a thenable is the point of this test
      return { then: native.then.bind(native) } as unknown as ReturnType<MapSessionStore['doSet']>;
    }
  }

  it('returns a native promise even when doSet returns a thenable', async () => {
    const store = new ThenableSetStore();
    const pending = store.set('s1', { userId: 'u1' });
    expect(pending).toBeInstanceOf(Promise);
    expect((await pending).userId).toBe('u1');
    await store.close();
  });

  it('turns a synchronous throw into a rejection', async () => {
    const store = new MapSessionStore();
    let returned: Promise<unknown> | undefined;
    expect(() => {
      returned = store.set('', {});
    }).not.toThrow();
    await expect(returned).rejects.toThrow(/sessionId/);
    await store.close();
  });
});
