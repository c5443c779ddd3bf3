// Converts SessionData to and from JSON text and JSON-safe objects. Decoding trusts nothing: it accepts
// our camelCase records and the Python service's snake_case ones, and names the first bad field.
import { SessionDecodeError } from '../errors/errors.js';
import { cloneJsonObject, findNonJson, isPlainObject, type JsonObject, type JsonValue } from './json.js';
import { type SessionData, sessionDataSchema } from './SessionData.js';

type DateField = 'createdAt' | 'updatedAt' | 'lastActivity';

/** SessionData with ISO-8601 date strings: what `toPlain` returns and `JSON.stringify` writes. */
export type PlainSessionData = Omit<SessionData, DateField | 'expiresAt'> & {
  [K in DateField]: string;
} & { expiresAt: string | null };

// camelCase field → the Python service's snake_case name.
const SNAKE_NAMES: Record<keyof SessionData, string> = {
  sessionId: 'session_id',
  userId: 'user_id',
  threadId: 'thread_id',
  messageCount: 'message_count',
  escalated: 'escalated',
  metadata: 'metadata',
  requestId: 'request_id',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  lastActivity: 'last_activity',
  expiresAt: 'expires_at',
  version: 'version',
};

// ISO-8601 date-time; the zone is optional because the Python service writes naive UTC timestamps.
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2}):?(\d{2}))?$/i;

/** True when every component is in range: Date.parse would roll 2024-02-30 over to March 1. */
function inRange(m: RegExpExecArray): boolean {
  const [year, month, day, hour, minute, second = '0', , offsetHours = '0', offsetMinutes = '0'] = m.slice(1);
  const y = Number(year);
  const mo = Number(month);
  const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return (
    mo >= 1 &&
    mo <= 12 &&
    Number(day) >= 1 &&
    Number(day) <= daysInMonth &&
    Number(hour) <= 23 &&
    Number(minute) <= 59 &&
    Number(second) <= 59 &&
    Number(offsetHours) <= 23 &&
    Number(offsetMinutes) <= 59
  );
}

function decodeDate(value: unknown, field: string, nullable: boolean): Date | null {
  if (value === null && nullable) return null;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw decodeError(field, 'is an invalid Date');
    return new Date(value.getTime());
  }
  if (typeof value !== 'string') throw decodeError(field, `must be an ISO-8601 string, got ${kind(value)}`);
  const match = ISO_DATE_TIME.exec(value);
  if (!match || !inRange(match)) {
    throw decodeError(field, `is not an ISO-8601 date-time: ${JSON.stringify(value.slice(0, 40))}`);
  }
  // Naive timestamps are UTC (the Python service used datetime.utcnow()); never local time.
  const text = match[7] ? value : `${value.replace(' ', 'T')}Z`;
  const time = Date.parse(text);
  if (Number.isNaN(time))
    throw decodeError(field, `is not a valid date: ${JSON.stringify(value.slice(0, 40))}`);
  return new Date(time);
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

function decodeError(field: string, problem: string, cause?: unknown): SessionDecodeError {
  return new SessionDecodeError(`Cannot decode session: field "${field}" ${problem}`, { field, cause });
}

/** Reads `field` from a camelCase or snake_case record; `undefined` when neither is present. */
function read(record: Record<string, unknown>, field: keyof SessionData, snake: boolean): unknown {
  return record[snake ? SNAKE_NAMES[field] : field];
}

// JSON text cannot carry -0; decode it as 0 so that a decoded session re-encodes to itself.
const noNegativeZero = (value: unknown): unknown => (value === 0 ? 0 : value);

function hasOwn(record: Record<string, unknown>, key: string): boolean {
  return Object.hasOwn(record, key);
}

function fromRecord(value: unknown): SessionData {
  if (!isPlainObject(value)) throw decodeError('(root)', `must be an object, got ${kind(value)}`);
  const snake = !hasOwn(value, 'sessionId') && hasOwn(value, 'session_id');
  const field = (name: keyof SessionData) => (snake ? SNAKE_NAMES[name] : name);
  const required = (name: keyof SessionData): unknown => {
    const v = read(value, name, snake);
    if (v === undefined) throw decodeError(field(name), 'is missing');
    return v;
  };
  const optional = (name: keyof SessionData, fallback: unknown): unknown => {
    const v = read(value, name, snake);
    return v === undefined ? fallback : v;
  };
  // One field through its part of sessionDataSchema; the error names the field as the record spells it.
  const checked = <K extends keyof SessionData>(name: K, raw: unknown): SessionData[K] => {
    const result = sessionDataSchema.shape[name].safeParse(raw);
    if (result.success) return result.data as SessionData[K];
    throw decodeError(
      field(name),
      `is invalid: ${result.error.issues[0]?.message ?? 'unexpected value'}`,
      result.error,
    );
  };

  // Fields are checked in SessionData order, so the error names the first bad one.
  const sessionId = checked('sessionId', required('sessionId'));
  const userId = checked('userId', optional('userId', null));
  const threadId = checked('threadId', optional('threadId', null));
  const messageCount = checked('messageCount', noNegativeZero(required('messageCount')));
  const escalated = checked('escalated', required('escalated'));
  const metadataValue = required('metadata');
  if (!isPlainObject(metadataValue)) {
    throw decodeError(field('metadata'), `must be an object, got ${kind(metadataValue)}`);
  }
  const bad = findNonJson(metadataValue, field('metadata'));
  if (bad) throw decodeError(bad.path, `holds ${bad.problem}`);
  return {
    sessionId,
    userId,
    threadId,
    messageCount,
    escalated,
    metadata: cloneJsonObject(metadataValue as JsonObject),
    requestId: checked('requestId', optional('requestId', null)),
    createdAt: decodeDate(required('createdAt'), field('createdAt'), false) as Date,
    updatedAt: decodeDate(required('updatedAt'), field('updatedAt'), false) as Date,
    lastActivity: decodeDate(required('lastActivity'), field('lastActivity'), false) as Date,
    expiresAt: decodeDate(optional('expiresAt', null), field('expiresAt'), true),
    version: checked('version', noNegativeZero(optional('version', 0))),
  } as SessionData;
}

/** `data` as a plain record with ISO-8601 dates, carrying `metadata` as given. */
function plainOf(data: SessionData, metadata: SessionData['metadata']): PlainSessionData {
  return {
    sessionId: data.sessionId,
    userId: data.userId,
    threadId: data.threadId,
    messageCount: data.messageCount,
    escalated: data.escalated,
    metadata,
    requestId: data.requestId,
    createdAt: data.createdAt.toISOString(),
    updatedAt: data.updatedAt.toISOString(),
    lastActivity: data.lastActivity.toISOString(),
    expiresAt: data.expiresAt ? data.expiresAt.toISOString() : null,
    version: data.version,
  };
}

/** Encodes and decodes SessionData. All methods are pure; none of them mutates its argument. */
export const SessionCodec = {
  /** A JSON-safe copy with ISO-8601 dates. */
  toPlain(data: SessionData): PlainSessionData {
    return plainOf(data, cloneJsonObject(data.metadata));
  },

  /** Compact JSON text. */
  toJSON(data: SessionData): string {
    // Stringified at once: the metadata needs no copy (JSON.stringify writes -0 as 0, as the copy would).
    return JSON.stringify(plainOf(data, data.metadata));
  },

  /**
   * Decodes a camelCase record (ours) or a snake_case one (the Python service's), with ISO-8601 strings or
   * `Date`s. Throws SessionDecodeError naming the first bad field.
   */
  fromPlain(value: unknown): SessionData {
    return fromRecord(value);
  },

  /** Parses JSON text and decodes it like `fromPlain`. */
  fromJSON(text: string): SessionData {
    if (typeof text !== 'string') throw decodeError('(root)', `must be JSON text, got ${kind(text)}`);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw decodeError('(root)', 'is not valid JSON', error);
    }
    return fromRecord(value);
  },
} as const;

export type { JsonValue };
