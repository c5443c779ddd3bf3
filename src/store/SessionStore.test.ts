// Checks the base class makes for every backend: counter field names (issue 13) and history options.
import { describe, expect, it } from 'vitest';
import { isSessionValidationError } from '../errors/errors.js';
import { InMemorySessionStore } from '../memory/InMemorySessionStore.js';

describe('incrementCounter field names', () => {
  it('refuses a SessionData field that is not a counter, and changes nothing', async () => {
    const store = new InMemorySessionStore();
    await store.set('s1', {});
    const fields = ['escalated', 'version', 'userId', 'createdAt', 'threadId', 'requestId', 'metadata'];
    for (const field of [...fields, 'sessionId', 'updatedAt', 'lastActivity', 'expiresAt']) {
      const error = await store.incrementCounter('s1', field).catch((e: unknown) => e);
      expect(isSessionValidationError(error), field).toBe(true);
      expect((error as Error).message).toContain(JSON.stringify(field));
      expect((error as { field: string }).field).toBe('field');
    }
    const after = await store.get('s1', { touch: false });
    expect(after?.metadata).toEqual({});
    expect(after?.escalated).toBe(false);
    expect(after?.version).toBe(1);
    expect(await store.incrementCounter('s1', 'messageCount')).toBe(1);
    expect(await store.incrementCounter('s1', 'escalations')).toBe(1);
    await store.close();
  });
});

describe('history options', () => {
  it('refuses bad values, naming the option', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ maxItems: 0 }, 'maxItems'],
      [{ maxItems: 1.5 }, 'maxItems'],
      [{ maxItemBytes: 1 }, 'maxItemBytes'],
      [{ itemsOverflow: 'drop' }, 'itemsOverflow'],
      [{ operationIdTtlSeconds: 0 }, 'operationIdTtlSeconds'],
    ];
    for (const [options, field] of cases) {
      expect(() => new InMemorySessionStore(options)).toThrow(expect.objectContaining({ field }));
    }
  });
});
