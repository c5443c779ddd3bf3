// How a session maps onto its Redis hash: encoding for writes, strict decoding of the one-string replies
// the scripts send back. Each value is JSON text (metadata one field per key), so partial updates and
// counters never re-encode the session and Lua never parses JSON.
import type { JsonValue } from '../codec/json.js';
import type { SessionData } from '../codec/SessionData.js';
import { SessionDecodeError } from '../errors/errors.js';
import { buildSession } from '../store/records.js';
import type { NormalizedInput } from '../store/validation.js';

/**
 * Hash field of a metadata key: `m:` and the key's JSON text, so that Lua can assemble the metadata
 * object by concatenation without escaping anything.
 */
export const metaField = (key: string): string => `m:${JSON.stringify(key)}`;

/**
 * Bytes a metadata key adds around its value in the whole-session JSON (`"key":` and a comma): what
 * `update` adds to, or takes from, the running size when a key appears or goes.
 */
export const entryOverhead = (key: string): number => Buffer.byteLength(JSON.stringify(key), 'utf8') + 2;

// The whole-session JSON (encodedSize in src/store/records.ts: JSON.stringify of a SessionData) around
// its variable parts, for a session just built by set or create: version 1 and updatedAt, lastActivity and
// expiresAt all "now". Key order is SessionData's.
const SIZE_FRAME =
  '{"sessionId":,"userId":,"threadId":,"messageCount":,"escalated":,"metadata":,"requestId":,' +
  '"createdAt":,"updatedAt":,"lastActivity":,"expiresAt":,"version":1}';
// A Date's JSON text: `"YYYY-MM-DDTHH:mm:ss.sssZ"`, 26 bytes for every year from 0 to 9999.
const DATE_JSON_BYTES = 26;

/**
 * Field/value pairs for the data of a new or replaced session (core fields, then metadata), and the
 * session's encoded size: exactly `encodedSize(buildSession(id, input, now, now))`, the size the
 * maxSessionBytes check has always used, computed from the texts just encoded instead of a second
 * JSON.stringify of a whole session. JSON.stringify never emits lone surrogates (it escapes them), so the
 * UTF-8 length of the joined texts is the sum of their lengths.
 */
export function encodeInput(id: string, input: NormalizedInput): { pairs: string[]; size: number } {
  const uid = JSON.stringify(input.userId);
  const tid = JSON.stringify(input.threadId);
  const rid = JSON.stringify(input.requestId);
  const mc = String(input.messageCount);
  const esc = input.escalated ? 'true' : 'false';
  const pairs = ['uid', uid, 'tid', tid, 'rid', rid, 'mc', mc, 'esc', esc];
  // Every variable text of the session JSON, joined for one UTF-8 length count. A metadata entry is
  // `"key":value` in the JSON and `m:"key"` + value here: one byte less each, added back below.
  let text = JSON.stringify(id) + uid + tid + rid + mc + esc;
  const metadata = input.metadata;
  const keys = Object.keys(metadata);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const field = metaField(key);
    const value = JSON.stringify(metadata[key]);
    pairs.push(field, value);
    text += field + value;
  }
  // Metadata beyond those texts: braces and commas (n + 1 bytes) and a colon per key, less the two bytes
  // of `m:` per key: 1 byte when there is any key, else the 2 bytes of `{}`.
  const metaFrame = keys.length > 0 ? 1 : 2;
  const createdAt =
    input.createdAt === undefined ? DATE_JSON_BYTES : (JSON.stringify(input.createdAt) as string).length;
  const size =
    SIZE_FRAME.length + Buffer.byteLength(text, 'utf8') + metaFrame + createdAt + 3 * DATE_JSON_BYTES;
  return { pairs, size };
}

function decodeError(id: string, field: string, problem: string, cause?: unknown): SessionDecodeError {
  return new SessionDecodeError(
    `Cannot decode session ${JSON.stringify(id.slice(0, 64))} from Redis: field "${field}" ${problem}`,
    { field, cause },
  );
}

const INTEGER_TEXT = /^-?\d{1,16}$/;

function integer(id: string, raw: string | undefined, field: string, min: number): number {
  if (raw === undefined || raw === '') throw decodeError(id, field, 'is missing');
  const value = INTEGER_TEXT.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min) {
    throw decodeError(id, field, `is not an integer ≥ ${min}: ${JSON.stringify(raw.slice(0, 40))}`);
  }
  return value;
}

function date(id: string, raw: string | undefined, field: string): Date {
  const ms = integer(id, raw, field, Number.MIN_SAFE_INTEGER);
  const value = new Date(ms);
  if (Number.isNaN(value.getTime())) throw decodeError(id, field, 'is out of the Date range');
  return value;
}

function json(id: string, raw: string, field: string): JsonValue {
  try {
    return JSON.parse(raw) as JsonValue;
  } catch (error) {
    throw decodeError(id, field, `is not JSON: ${JSON.stringify(raw.slice(0, 40))}`, error);
  }
}

function nullableString(id: string, raw: string | undefined, field: string): string | null {
  if (raw === undefined || raw === '') throw decodeError(id, field, 'is missing');
  const value = json(id, raw, field);
  if (value !== null && typeof value !== 'string') throw decodeError(id, field, 'is not a string or null');
  return value;
}

const CORE_FIELDS = [
  'userId',
  'threadId',
  'requestId',
  'messageCount',
  'escalated',
  'createdAt',
  'updatedAt',
  'lastActivity',
  'expiresAt',
  'version',
] as const;

/**
 * A session from the text the scripts return (SESSION_TEXT in scripts.ts): ten core values, one per line,
 * then the metadata object as JSON. Anything unexpected is a SessionDecodeError naming the field.
 */
export function decodeSessionText(id: string, reply: unknown): SessionData {
  if (typeof reply !== 'string') throw decodeError(id, '(record)', 'is not a session text reply');
  const core: string[] = [];
  let at = 0;
  for (let i = 0; i < CORE_FIELDS.length; i++) {
    const end = reply.indexOf('\n', at);
    if (end < 0) throw decodeError(id, CORE_FIELDS[i] as string, 'is missing');
    core.push(reply.slice(at, end));
    at = end + 1;
  }
  const [uid, tid, rid, mc, esc, ca, ua, la, ex, v] = core;
  if (esc !== 'true' && esc !== 'false') {
    throw decodeError(id, 'escalated', esc === '' ? 'is missing' : 'is not true or false');
  }
  const metadata = json(id, reply.slice(at), 'metadata');
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw decodeError(id, 'metadata', 'is not an object');
  }
  return {
    sessionId: id,
    userId: nullableString(id, uid, 'userId'),
    threadId: nullableString(id, tid, 'threadId'),
    messageCount: integer(id, mc, 'messageCount', 0),
    escalated: esc === 'true',
    metadata,
    requestId: nullableString(id, rid, 'requestId'),
    createdAt: date(id, ca, 'createdAt'),
    updatedAt: date(id, ua, 'updatedAt'),
    lastActivity: date(id, la, 'lastActivity'),
    expiresAt: date(id, ex, 'expiresAt'),
    version: integer(id, v, 'version', 1),
  };
}

/** The session a set or create wrote, from its input and the times and version Redis assigned. */
export function sessionFromInput(
  id: string,
  input: NormalizedInput,
  nowMs: number,
  createdAtMs: number,
  version: number,
  expiresAtMs: number,
): SessionData {
  // buildSession counts the version up from the previous one; Redis already assigned it.
  return buildSession(id, input, nowMs, expiresAtMs, {
    createdAt: new Date(createdAtMs),
    version: version - 1,
  });
}
