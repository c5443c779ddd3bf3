// Session ids: every valid shape works and stays apart (no pattern or hash-tag meaning leaks through);
// every invalid one is refused by every method.
import { isSessionValidationError } from '../errors/errors.js';
import { defineConformanceGroup, validation } from './harness.js';
import { must, rejectsWith } from './must.js';
import { INVALID_IDS, VALID_IDS } from './values.js';

export const idsGroup = defineConformanceGroup('ids', 'session ids', (test) => {
  test('valid ids of every shape work and stay apart', async ({ store }) => {
    for (const [i, id] of VALID_IDS.entries()) await store.set(id, { messageCount: i });
    for (const [i, id] of VALID_IDS.entries()) {
      const got = await store.get(id, { touch: false });
      const shown = JSON.stringify(id.slice(0, 20));
      must.equal(got?.sessionId, id, `id ${shown} must be accepted and returned unchanged`);
      must.equal(got?.messageCount, i, `id ${shown} kept its own data`);
    }
    must.equal(await store.countActive(), VALID_IDS.length, 'every valid id must count as its own session');
    must.deepEqual(
      (await store.listActive({ limit: 1000 })).sort(),
      [...VALID_IDS].sort(),
      'listActive must return every valid id exactly as it was written',
    );
    must.equal(
      await store.incrementCounter('*', 'messageCount'),
      6,
      'a * id is a plain id: incrementCounter must count that one session only',
    );
    must.equal(await store.delete('*'), true, 'delete of the * id must remove that session');
    must.equal(await store.exists('star*'), true, 'a * id is not a pattern');
  });

  test('invalid ids are a SessionValidationError on every method', async ({ store }) => {
    for (const id of INVALID_IDS) {
      const bad = id as string;
      await validation(store.get(bad), `get(${JSON.stringify(id)})`);
      await validation(store.set(bad, {}), `set(${JSON.stringify(id)})`);
      await validation(store.getOrCreate(bad), `getOrCreate(${JSON.stringify(id)})`);
      await validation(store.update(bad, {}), `update(${JSON.stringify(id)})`);
      await validation(
        store.incrementCounter(bad, 'messageCount'),
        `incrementCounter(${JSON.stringify(id)})`,
      );
      await validation(store.touch(bad), `touch(${JSON.stringify(id)})`);
      await validation(store.delete(bad), `delete(${JSON.stringify(id)})`);
      await validation(store.exists(bad), `exists(${JSON.stringify(id)})`);
    }
    const error = await rejectsWith(
      store.get(''),
      isSessionValidationError,
      'get of an empty id must reject with SessionValidationError',
    );
    must.equal(
      error.name,
      'SessionValidationError',
      'the validation error must be named SessionValidationError',
    );
    must.equal(error.code, 'SESSION_VALIDATION', 'the validation error must carry code SESSION_VALIDATION');
    must.match(error.message, /sessionId/, 'the error for a bad id must name sessionId');
    must.equal(await store.countActive(), 0, 'refused ids must store nothing');
  });
});
