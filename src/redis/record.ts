// How a session is stored in Redis: ONE string per session, which is also the exact reply a read returns,
// so a read without touch is a plain GET and Node parses one string with one JSON.parse.
//
// The record (docs/redis.md, "Stored format"):
//
//   header   the format tag, then eight fixed-width decimal integers, then `\n` (layout.ts):
//            version · TTL ms · createdAt · updatedAt · lastActivity · expiresAt (epoch ms) ·
//            encoded size in bytes · messageCount
//   lines    userId, threadId, requestId as JSON text, escalated as `true`/`false`, one per line
//   metadata the metadata object as JSON text, written as `{` entries `}` with `,` between entries, where
//            each entry is `\n` + the key's JSON + `\t:` + the value's JSON
//
// JSON.stringify never emits a raw newline or tab (it escapes them inside strings), and both are JSON
// whitespace. So the metadata text is valid JSON as it stands (JSON.parse reads it directly), and a Lua
// script finds an entry by searching for `\n<key JSON>\t:` without ever decoding JSON: it only splits on
// bytes that cannot occur inside the texts. Fixed-width header fields let scripts read and rewrite the
// bookkeeping with GETRANGE/SETRANGE, without touching the data.
import { cloneTrustedJsonObject, type JsonValue } from '../codec/json.js';
import type { SessionData } from '../codec/SessionData.js';
import { SessionDecodeError } from '../errors/errors.js';
import { buildSession } from '../store/records.js';
import type { NormalizedInput, NormalizedPatch } from '../store/validation.js';
import {
  FIELD_WIDTH,
  fieldIndex,
  fieldOffset,
  HEADER_FIELDS,
  HEADER_LENGTH,
  HEADER_REGEXP,
  SLID_END,
  SLID_LENGTH,
  SLID_START,
  TAG,
  WRITTEN_LENGTH,
} from './layout.js';

/** The key's JSON text as a script looks it up in the metadata: `"key"`. */
export const keyText = (key: string): string => JSON.stringify(key);

// The whole-session JSON (encodedSize in src/store/records.ts: JSON.stringify of a SessionData) around
// its variable parts, for a session just built by set or create: version 1 and updatedAt, lastActivity and
// expiresAt all "now". Key order is SessionData's.
const SIZE_FRAME =
  '{"sessionId":,"userId":,"threadId":,"messageCount":,"escalated":,"metadata":,"requestId":,' +
  '"createdAt":,"updatedAt":,"lastActivity":,"expiresAt":,"version":1}';
// A Date's JSON text: `"YYYY-MM-DDTHH:mm:ss.sssZ"`, 26 bytes for every year from 0 to 9999.
const DATE_JSON_BYTES = 26;

/**
 * What Node formats of a new or replaced session's record: `rest` is the messageCount header field, the
 * header's newline, then the data (lines and metadata); the script writes the header fields before it.
 * `size` is the session's encoded size: exactly `encodedSize(buildSession(id, input, now, now))`, the size
 * the maxSessionBytes check compares (src/store/records.ts), computed from the texts just encoded instead
 * of a second JSON.stringify of a whole session. JSON.stringify never emits lone surrogates (it escapes them), so the
 * UTF-8 length of the joined texts is the sum of their lengths.
 */
export function encodeInput(id: string, input: NormalizedInput): { rest: string; size: number } {
  const esc = input.escalated ? 'true' : 'false';
  let body = `${nullableText(input.userId)}\n${nullableText(input.threadId)}\n${nullableText(input.requestId)}\n${esc}\n{`;
  const metadata = input.metadata;
  const keys = Object.keys(metadata);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    body += `${i === 0 ? '' : ','}\n${stringText(key)}\t:${valueText(metadata[key] as JsonValue)}`;
  }
  body += '}';
  // The body against the session JSON: 4 line breaks that are not there, and per metadata entry the
  // `\n` and `\t` that JSON.stringify would not write.
  const createdAt =
    input.createdAt === undefined ? DATE_JSON_BYTES : (JSON.stringify(input.createdAt) as string).length;
  const count = String(input.messageCount);
  const size =
    SIZE_FRAME.length +
    Buffer.byteLength(stringText(id), 'utf8') +
    Buffer.byteLength(body, 'utf8') -
    4 -
    2 * keys.length +
    count.length +
    createdAt +
    3 * DATE_JSON_BYTES;
  // messageCount is non-negative: zero-padded to the header's field width.
  return { rest: `${count.padStart(FIELD_WIDTH, '0')}\n${body}`, size };
}

/**
 * The ARGV of the update script (scripts.ts UPDATE_LUA): id, expected version or '', maxSessionBytes, max
 * lifetime ms or '', then the patch: the new JSON text of each line field ('' keeps it), messageCount or
 * '', the metadata sets as a count then key/value JSON pairs, the removals as a count then key JSON texts.
 */
export function encodePatch(
  id: string,
  expectedVersion: number | '',
  maxSessionBytes: number,
  maxLifetime: string,
  patch: NormalizedPatch,
): (string | number)[] {
  const metaKeys = Object.keys(patch.metadata);
  const args: (string | number)[] = [
    id,
    expectedVersion,
    maxSessionBytes,
    maxLifetime,
    patch.userId === undefined ? '' : JSON.stringify(patch.userId),
    patch.threadId === undefined ? '' : JSON.stringify(patch.threadId),
    patch.requestId === undefined ? '' : JSON.stringify(patch.requestId),
    patch.escalated === undefined ? '' : String(patch.escalated),
    patch.messageCount ?? '',
    metaKeys.length,
  ];
  for (const key of metaKeys) {
    args.push(keyText(key), JSON.stringify(patch.metadata[key]));
  }
  args.push(patch.removeKeys.length);
  for (const key of patch.removeKeys) args.push(keyText(key));
  return args;
}

// A string that JSON.stringify writes as itself between quotes: no `"`, `\`, control character or
// surrogate (it escapes those; a paired surrogate takes the JSON.stringify path too, to the same text).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const STRINGIFIES_AS_IS = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

/**
 * JSON.stringify's text for a string. Most ids, keys and short values need no escaping: those are written
 * directly, without a JSON.stringify call per id, key and value of every write.
 */
function stringText(value: string): string {
  return STRINGIFIES_AS_IS.test(value) ? `"${value}"` : JSON.stringify(value);
}

function nullableText(value: string | null): string {
  return value === null ? 'null' : stringText(value);
}

/** JSON.stringify's text for a validated JSON value; numbers print the same way (finite, -0 as 0). */
function valueText(value: JsonValue): string {
  switch (typeof value) {
    case 'string':
      return stringText(value);
    case 'number':
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      return JSON.stringify(value);
  }
}

/**
 * What set and a creating getOrCreate reply: the tag and the header fields before messageCount as they
 * wrote them (version, TTL, createdAt, updatedAt, lastActivity, expiresAt, encoded size).
 */
export function decodeWritten(
  id: string,
  reply: unknown,
): { version: number; createdAt: number; now: number; expiresAt: number } {
  // Our own script's reply: the length and tag, then each field read must be a safe integer.
  if (typeof reply !== 'string' || reply.length !== WRITTEN_LENGTH || !reply.startsWith(TAG)) {
    throw decodeError(
      id,
      '(reply)',
      `is not what a write replies: ${JSON.stringify(String(reply).slice(0, 40))}`,
    );
  }
  return {
    version: headerInteger(id, reply, VERSION, 1),
    createdAt: headerInteger(id, reply, CREATED_AT, Number.MIN_SAFE_INTEGER),
    now: headerInteger(id, reply, UPDATED_AT, 0),
    expiresAt: headerInteger(id, reply, EXPIRES_AT, Number.MIN_SAFE_INTEGER),
  };
}

function decodeError(id: string, field: string, problem: string, cause?: unknown): SessionDecodeError {
  return new SessionDecodeError(
    `Cannot decode session ${JSON.stringify(id.slice(0, 64))} from Redis: field "${field}" ${problem}`,
    { field, cause },
  );
}

// Header field indexes, resolved once: the decoders below read fields by index on every call.
const VERSION = fieldIndex('version');
const CREATED_AT = fieldIndex('createdAt');
const UPDATED_AT = fieldIndex('updatedAt');
const LAST_ACTIVITY = fieldIndex('lastActivity');
const EXPIRES_AT = fieldIndex('expiresAt');
const MESSAGE_COUNT = fieldIndex('messageCount');
const FIRST_FIELD = fieldOffset('version');

/**
 * The integer written in the FIELD_WIDTH characters at `start` (zero-padded digits, or `-` and digits),
 * read in place without a substring; NaN for anything else. Past Number.MAX_SAFE_INTEGER the digits lose
 * precision, which the safe integer check after it refuses anyway.
 */
function fixedInteger(text: string, start: number): number {
  let at = start;
  const negative = text.charCodeAt(at) === 45; // '-'
  if (negative) at += 1;
  let value = 0;
  for (const end = start + FIELD_WIDTH; at < end; at++) {
    const digit = text.charCodeAt(at) - 48;
    if (!(digit >= 0 && digit <= 9)) return Number.NaN;
    value = value * 10 + digit;
  }
  return negative ? -value : value;
}

/** Header field `index` (0 = version … 7 = messageCount) of a record or write reply; at least `min`. */
function headerInteger(id: string, text: string, index: number, min: number): number {
  const start = FIRST_FIELD + FIELD_WIDTH * index;
  const value = fixedInteger(text, start);
  if (!Number.isSafeInteger(value) || value < min) {
    const field = HEADER_FIELDS[index] as string;
    throw decodeError(id, field, `is not an integer ≥ ${min}: ${text.slice(start, start + FIELD_WIDTH)}`);
  }
  return value;
}

function headerDate(id: string, text: string, index: number): Date {
  const value = new Date(headerInteger(id, text, index, Number.MIN_SAFE_INTEGER));
  if (Number.isNaN(value.getTime()))
    throw decodeError(id, HEADER_FIELDS[index] as string, 'is out of the Date range');
  return value;
}

function json(id: string, raw: string, field: string): JsonValue {
  try {
    return JSON.parse(raw) as JsonValue;
  } catch (error) {
    throw decodeError(id, field, `is not JSON: ${JSON.stringify(raw.slice(0, 40))}`, error);
  }
}

// A JSON string with nothing to unescape. Control characters excluded, as JSON.parse would refuse them.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const PLAIN_STRING = /^"[^"\\\u0000-\u001f]*"$/;

function nullableString(id: string, raw: string, field: string): string | null {
  if (raw === 'null') return null;
  // Most ids need no unescaping: skip JSON.parse for them.
  if (PLAIN_STRING.test(raw)) return raw.slice(1, -1);
  if (raw === '') throw decodeError(id, field, 'is missing');
  const value = json(id, raw, field);
  if (value !== null && typeof value !== 'string') throw decodeError(id, field, 'is not a string or null');
  return value;
}

const LINES = ['userId', 'threadId', 'requestId', 'escalated'] as const;

/**
 * A session from its stored record (what GET and the scripts return). Anything unexpected is a
 * SessionDecodeError naming the field.
 */
export function decodeRecord(id: string, reply: unknown): SessionData {
  if (typeof reply !== 'string' || !HEADER_REGEXP.test(reply)) {
    throw decodeError(id, '(record)', `is not a session record of this library (format ${TAG})`);
  }
  const lines: string[] = [];
  let at = HEADER_LENGTH;
  for (const field of LINES) {
    const end = reply.indexOf('\n', at);
    if (end < 0) throw decodeError(id, field, 'is missing');
    lines.push(reply.slice(at, end));
    at = end + 1;
  }
  const [uid, tid, rid, esc] = lines as [string, string, string, string];
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
    messageCount: headerInteger(id, reply, MESSAGE_COUNT, 0),
    escalated: esc === 'true',
    metadata,
    requestId: nullableString(id, rid, 'requestId'),
    createdAt: headerDate(id, reply, CREATED_AT),
    updatedAt: headerDate(id, reply, UPDATED_AT),
    lastActivity: headerDate(id, reply, LAST_ACTIVITY),
    expiresAt: headerDate(id, reply, EXPIRES_AT),
    version: headerInteger(id, reply, VERSION, 1),
  };
}

/**
 * A session read by get with touch: the script's reply `[record as read, lastActivity and expiresAt as it
 * wrote them (the two adjacent header fields, SLID_LENGTH characters)]`.
 */
export function decodeTouched(id: string, reply: unknown): SessionData {
  const [record, slid] = Array.isArray(reply) ? reply : [];
  if (typeof record !== 'string' || typeof slid !== 'string' || slid.length !== SLID_LENGTH) {
    throw decodeError(
      id,
      '(reply)',
      `is not what get with touch replies: ${JSON.stringify(reply).slice(0, 40)}`,
    );
  }
  // The record as it now is stored: the two fields put in place.
  return decodeRecord(id, record.slice(0, SLID_START) + slid + record.slice(SLID_END));
}

/**
 * The session a set or create is writing, built from its validated input while the command is on its way,
 * so the metadata copy costs the caller nothing beside the round trip. Its times and version are
 * placeholders until `completeWritten` puts in what Redis assigned; it is never handed out before that.
 */
export function writtenSession(id: string, input: NormalizedInput): SessionData {
  // The input was validated (plain objects, string keys, JSON values), so the cheaper trusted copy is safe.
  // A placeholder `previous` keeps buildSession from reading the caller's createdAt Date once more.
  return buildSession(id, input, 0, 0, PENDING, cloneTrustedJsonObject);
}

const PENDING = { createdAt: new Date(0), version: 0 };

/** Completes a `writtenSession` with the times and version from the write's reply (decodeWritten). */
export function completeWritten(id: string, session: SessionData, reply: unknown): SessionData {
  const { version, createdAt, now, expiresAt } = decodeWritten(id, reply);
  const at = new Date(now);
  session.createdAt = new Date(createdAt);
  session.updatedAt = at;
  session.lastActivity = at;
  session.expiresAt = new Date(expiresAt);
  session.version = version;
  return session;
}

/**
 * The session of a getOrCreate reply and whether the script created it: created → the written header
 * fields (as set replies, completing `writtenSession(id, input)`); found → its record, or with touch the
 * record and the fields the slide wrote (as get with touch replies).
 */
export function getOrCreateReply(
  id: string,
  input: NormalizedInput,
  reply: unknown,
): { session: SessionData; created: boolean } {
  if (typeof reply === 'string' && reply.length === WRITTEN_LENGTH) {
    return { session: completeWritten(id, writtenSession(id, input), reply), created: true };
  }
  const session = Array.isArray(reply) ? decodeTouched(id, reply) : decodeRecord(id, reply);
  return { session, created: false };
}
