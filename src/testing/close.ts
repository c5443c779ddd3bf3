// close: idempotent, and every later call is a SessionStoreClosedError (ping answers false instead).
import { isSessionStoreClosedError } from '../errors/errors.js';
import { defineConformanceGroup } from './harness.js';
import { must, rejectsWith } from './must.js';

export const closeGroup = defineConformanceGroup('close', 'close', (test) => {
  test('after close, calls reject with SessionStoreClosedError; closing twice is fine', async ({ store }) => {
    await store.set('s1', {});
    await store.close();
    await store.close();
    await store[Symbol.asyncDispose]();
    const calls: [string, () => Promise<unknown>][] = [
      ['get', () => store.get('s1')],
      ['set', () => store.set('s1', {})],
      ['getOrCreate', () => store.getOrCreate('s1')],
      ['update', () => store.update('s1', {})],
      ['incrementCounter', () => store.incrementCounter('s1', 'messageCount')],
      ['touch', () => store.touch('s1')],
      ['delete', () => store.delete('s1')],
      ['exists', () => store.exists('s1')],
      ['listActive', () => store.listActive()],
      ['countActive', () => store.countActive()],
      ['cleanupExpired', () => store.cleanupExpired()],
      ['getStats', () => store.getStats()],
    ];
    for (const [method, call] of calls) {
      const error = await rejectsWith(
        call(),
        isSessionStoreClosedError,
        `${method} after close must reject with SessionStoreClosedError`,
      );
      must.equal(
        error.name,
        'SessionStoreClosedError',
        `${method} after close: the error must be named SessionStoreClosedError`,
      );
    }
    must.equal(await store.ping(), false, 'ping never throws; it answers false after close');
  });
});
