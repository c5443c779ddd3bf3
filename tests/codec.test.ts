// SessionCodec: reading the Python service's records, naming the bad field of a corrupt one, and the
// toJSON → fromJSON identity over arbitrary valid sessions.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isSessionDecodeError,
  type JsonValue,
  SessionCodec,
  type SessionData,
  SessionDecodeError,
  sessionDataSchema,
} from '../src/index.js';
import { PYTHON_RECORD } from './helpers/fuzz.js';

interface FixtureRecord {
  note: string;
  key: string;
  value: string;
}

// A copy of the records the Python service wrote to Redis, kept with the tests so they stand alone.
const fixturePath = fileURLToPath(new URL('./fixtures/python-session-records.json', import.meta.url));
const loadFixtures = (): FixtureRecord[] => JSON.parse(readFileSync(fixturePath, 'utf8')) as FixtureRecord[];

describe('SessionCodec reads the Python service records', () => {
  const records = loadFixtures();

  it('has the three hand-over records', () => {
    expect(records.map((r) => r.key)).toEqual([
      'agent:session:sess-new',
      'agent:session:sess-inc',
      'agent:session:sess-esc',
    ]);
  });

  it('decodes a fresh record: snake_case, naive timestamps as UTC, empty metadata', () => {
    const session = SessionCodec.fromJSON((records[0] as FixtureRecord).value);
    expect(session).toEqual({
      sessionId: 'sess-new',
      userId: 'user-42',
      threadId: '5f0c7a56-2b8e-4d53-9a57-0c1f1d7e9a11',
      messageCount: 0,
      escalated: false,
      metadata: {},
      requestId: null,
      createdAt: new Date('2026-11-24T03:51:44.562Z'),
      updatedAt: new Date('2026-11-24T03:51:44.562Z'),
      lastActivity: new Date('2026-11-24T03:51:44.562Z'),
      expiresAt: null,
      version: 0,
    });
    expect(sessionDataSchema.safeParse(session).success).toBe(true);
  });

  it('decodes a record re-encoded by cjson (compact, keys reordered, nested metadata)', () => {
    const session = SessionCodec.fromJSON((records[1] as FixtureRecord).value);
    expect(session.sessionId).toBe('sess-inc');
    expect(session.messageCount).toBe(2);
    expect(session.userId).toBeNull();
    expect(session.metadata).toEqual({ plan: 'pro', channel: 'web', tags: ['billing'] });
    expect(session.updatedAt.toISOString()).toBe('2026-11-24T03:51:44.565Z');
  });

  it('decodes an escalated record with a request id', () => {
    const session = SessionCodec.fromJSON((records[2] as FixtureRecord).value);
    expect(session.escalated).toBe(true);
    expect(session.requestId).toBe('req-123');
    expect(session.metadata).toEqual({ ticket_id: 'TKT-20261124-0001', customer_email: 'ana@example.com' });
    expect(session.lastActivity.toISOString()).toBe('2026-11-24T03:51:44.566Z');
  });

  it('re-encodes a Python record in our camelCase form, which decodes to the same session', () => {
    const session = SessionCodec.fromJSON((records[1] as FixtureRecord).value);
    const text = SessionCodec.toJSON(session);
    expect(JSON.parse(text)).toHaveProperty('sessionId', 'sess-inc');
    expect(SessionCodec.fromJSON(text)).toEqual(session);
  });
});

describe('SessionCodec rejects corrupt records with SessionDecodeError naming the field', () => {
  const base = PYTHON_RECORD;
  const cases: [string, Record<string, unknown>, string][] = [
    ['message_count not a number', { message_count: 'two' }, 'message_count'],
    ['negative message_count', { message_count: -1 }, 'message_count'],
    ['fractional message_count', { message_count: 1.5 }, 'message_count'],
    ['created_at garbage', { created_at: 'yesterday' }, 'created_at'],
    ['created_at impossible date', { created_at: '2026-13-45T99:99:99' }, 'created_at'],
    ['updated_at a number', { updated_at: 12345 }, 'updated_at'],
    ['last_activity missing', { last_activity: undefined }, 'last_activity'],
    ['escalated a string', { escalated: 'yes' }, 'escalated'],
    ['metadata an array', { metadata: [] }, 'metadata'],
    ['metadata a string', { metadata: '{}' }, 'metadata'],
    ['session_id empty', { session_id: '' }, 'session_id'],
    ['created_at on February 30th', { created_at: '2024-02-30T10:00:00' }, 'created_at'],
    ['updated_at at 24:00', { updated_at: '2026-11-24T24:00:00' }, 'updated_at'],
    ['last_activity with a 61st second', { last_activity: '2026-11-24T10:00:61Z' }, 'last_activity'],
    ['last_activity with a +25:00 offset', { last_activity: '2026-11-24T10:00:00+25:00' }, 'last_activity'],
    [
      'session_id of the wrong type before a missing field',
      { session_id: 5, metadata: undefined },
      'session_id',
    ],
    ['user_id a number', { user_id: 7 }, 'user_id'],
  ];
  for (const [title, change, field] of cases) {
    it(title, () => {
      const record: Record<string, unknown> = { ...base, ...change };
      for (const key of Object.keys(change)) if (change[key] === undefined) delete record[key];
      let caught: unknown;
      try {
        SessionCodec.fromJSON(JSON.stringify(record));
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(SessionDecodeError);
      expect(isSessionDecodeError(caught)).toBe(true);
      expect((caught as SessionDecodeError).field).toBe(field);
      expect((caught as Error).message).toContain(field);
      expect((caught as SessionDecodeError).code).toBe('SESSION_DECODE');
    });
  }

  it('names the field for camelCase records too', () => {
    const good = SessionCodec.toPlain(SessionCodec.fromPlain(base));
    expect(() => SessionCodec.fromPlain({ ...good, version: -3 })).toThrow(/version/);
    expect(() => SessionCodec.fromPlain({ ...good, expiresAt: 'soon' })).toThrow(/expiresAt/);
  });

  it('accepts real edge dates: a leap day, offsets, a space separator', () => {
    const record = {
      ...base,
      created_at: '2024-02-29T23:59:59.999999',
      updated_at: '2026-11-24T10:00:00+05:30',
      last_activity: '2026-11-24 10:00:00',
    };
    const session = SessionCodec.fromPlain(record);
    expect(session.createdAt.toISOString()).toBe('2024-02-29T23:59:59.999Z');
    expect(session.updatedAt.toISOString()).toBe('2026-11-24T04:30:00.000Z');
    expect(session.lastActivity.toISOString()).toBe('2026-11-24T10:00:00.000Z');
  });

  it('rejects text that is not JSON, and non-object roots', () => {
    for (const text of ['', '{', 'null', '[]', '42', '"text"']) {
      expect(() => SessionCodec.fromJSON(text)).toThrow(SessionDecodeError);
    }
    expect(() => SessionCodec.fromPlain(undefined)).toThrow(SessionDecodeError);
  });

  it('keeps __proto__ and constructor metadata keys as plain data', () => {
    const text = JSON.stringify({ ...base, metadata: {} }).replace(
      '"metadata":{}',
      '"metadata":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
    );
    const session = SessionCodec.fromJSON(text);
    expect(Object.getPrototypeOf(session.metadata)).toBe(Object.prototype);
    expect(Object.keys(session.metadata).sort()).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(SessionCodec.fromJSON(SessionCodec.toJSON(session)).metadata).toEqual(session.metadata);
  });
});

// Arbitrary JSON values the way stores accept them (no -0: JSON has no negative zero).
const jsonValue: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ unit: 'grapheme' }),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n)),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string(), tie('value'), { maxKeys: 4 }),
  ),
})).value;

const date = fc.date({
  min: new Date('1970-01-01T00:00:00Z'),
  max: new Date('2200-01-01T00:00:00Z'),
  noInvalidDate: true,
});
const nullableString = fc.option(fc.string(), { nil: null });

const sessionArbitrary: fc.Arbitrary<SessionData> = fc.record({
  sessionId: fc.string({ minLength: 1, maxLength: 512 }),
  userId: nullableString,
  threadId: nullableString,
  messageCount: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
  escalated: fc.boolean(),
  metadata: fc.dictionary(fc.string(), jsonValue, { maxKeys: 8 }),
  requestId: nullableString,
  createdAt: date,
  updatedAt: date,
  lastActivity: date,
  expiresAt: fc.option(date, { nil: null }),
  version: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
});

describe('SessionCodec round-trip property', () => {
  it('fromJSON(toJSON(s)) equals s for arbitrary valid sessions', () => {
    fc.assert(
      fc.property(sessionArbitrary, (session) => {
        expect(SessionCodec.fromJSON(SessionCodec.toJSON(session))).toEqual(session);
        expect(SessionCodec.fromPlain(SessionCodec.toPlain(session))).toEqual(session);
      }),
      { numRuns: 500 },
    );
  });

  it('toPlain does not alias the input', () => {
    fc.assert(
      fc.property(sessionArbitrary, (session) => {
        const plain = SessionCodec.toPlain(session);
        plain.metadata.__mutated = true;
        expect(Object.hasOwn(session.metadata, '__mutated')).toBe(false);
      }),
      { numRuns: 100 },
    );
  });
});
