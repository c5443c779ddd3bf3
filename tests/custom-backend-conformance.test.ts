// The example backend in examples/custom-backend.ts passes the same suite as the built-in stores.
import { describe, expect, it } from 'vitest';
import { MapSessionStore } from '../examples/custom-backend.js';
import { describeSessionStoreConformance } from '../src/testing/index.js';
import { appendRawItems } from './helpers/raw-history.js';

describeSessionStoreConformance(
  'MapSessionStore (examples/custom-backend.ts)',
  ({ now, options }) => new MapSessionStore({ ...options, now }),
  {
    clock: 'manual',
    describe,
    it,
    history: { appendRawItems },
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
