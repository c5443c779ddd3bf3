// Input checks shared by every store. Each throws SessionValidationError naming the field at fault and
// returns the value in the normalised form the backends receive.
import { findNonJson, isPlainObject, type JsonObject, type JsonValue, setOwn } from '../codec/json.js';
import {
  MAX_SESSION_ID_LENGTH,
  PATCH_KEYS,
  type SessionData,
  type SessionInput,
  type SessionPatch,
} from '../codec/SessionData.js';
import { SessionValidationError } from '../errors/errors.js';

// C0 controls, DEL and C1 controls.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/** Longest TTL accepted: about 68 years, so that milliseconds stay well inside a safe integer. */
export const MAX_TTL_SECONDS = 2 ** 31;

function fail(field: string, message: string): never {
  throw new SessionValidationError(`Invalid ${field}: ${message}`, { field });
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a Date';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value).slice(0, 40)}`;
}

export function validateSessionId(id: unknown): string {
  if (typeof id !== 'string') fail('sessionId', `expected a string, got ${kind(id)}`);
  if (id.length === 0) fail('sessionId', 'must not be empty');
  if (id.length > MAX_SESSION_ID_LENGTH) {
    fail('sessionId', `must be at most ${MAX_SESSION_ID_LENGTH} characters, got ${id.length}`);
  }
  if (CONTROL_CHARACTERS.test(id)) fail('sessionId', 'must not contain control characters');
  return id;
}

/** Seconds → whole milliseconds (at least 1). `undefined` passes through. */
export function validateTtl(ttlSeconds: unknown, field = 'ttlSeconds'): number | undefined {
  if (ttlSeconds === undefined) return undefined;
  if (typeof ttlSeconds !== 'number' || !Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    fail(field, `expected a positive finite number of seconds, got ${kind(ttlSeconds)}`);
  }
  if (ttlSeconds > MAX_TTL_SECONDS) fail(field, `must be at most ${MAX_TTL_SECONDS} seconds`);
  return Math.max(1, Math.round(ttlSeconds * 1000));
}

export function validateSafeInteger(value: unknown, field: string, min = Number.MIN_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    fail(field, `expected a safe integer, got ${kind(value)}`);
  }
  if (value < min) fail(field, `must be at least ${min}, got ${value}`);
  return value === 0 ? 0 : value; // -0 would not survive JSON text
}

function validateNullableString(value: unknown, field: string): string | null {
  if (value === null || typeof value === 'string') return value;
  fail(field, `expected a string or null, got ${kind(value)}`);
}

function validateBoolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') fail(field, `expected a boolean, got ${kind(value)}`);
  return value;
}

/** A JSON value at `path`; names the offending sub-path when it is not JSON. */
export function validateJson(value: unknown, path: string): JsonValue {
  const bad = findNonJson(value, path);
  if (bad) throw new SessionValidationError(`Invalid ${bad.path}: ${bad.problem}`, { field: bad.path });
  return value as JsonValue;
}

export function validateMetadata(value: unknown, field = 'metadata'): JsonObject {
  if (!isPlainObject(value)) fail(field, `expected a plain object, got ${kind(value)}`);
  return validateJson(value, field) as JsonObject;
}

/** The fields `set` and `getOrCreate` write, with defaults applied. */
export type NormalizedInput = Pick<
  SessionData,
  'userId' | 'threadId' | 'messageCount' | 'escalated' | 'metadata' | 'requestId'
> & {
  /** Used only when the session does not exist yet. */
  createdAt: Date | undefined;
};

const INPUT_KEYS: ReadonlySet<string> = new Set([
  ...PATCH_KEYS,
  'sessionId',
  'createdAt',
  // Store-assigned: accepted so a returned session can be passed back to `set`, but ignored.
  'updatedAt',
  'lastActivity',
  'expiresAt',
  'version',
]);

export function validateInput(id: string, data: unknown, field: string): NormalizedInput {
  if (data === undefined) data = {};
  if (!isPlainObject(data)) fail(field, `expected an object, got ${kind(data)}`);
  for (const key of Object.keys(data)) {
    if (!INPUT_KEYS.has(key)) fail(`${field}.${key}`, 'is not a SessionData field');
  }
  const input = data as SessionInput & Record<string, unknown>;
  if (input.sessionId !== undefined && input.sessionId !== id) {
    fail(`${field}.sessionId`, `must equal the id argument (${JSON.stringify(id)})`);
  }
  let createdAt: Date | undefined;
  if (input.createdAt !== undefined) {
    if (!(input.createdAt instanceof Date) || Number.isNaN(input.createdAt.getTime())) {
      fail(`${field}.createdAt`, `expected a valid Date, got ${kind(input.createdAt)}`);
    }
    createdAt = input.createdAt;
  }
  return {
    userId: input.userId === undefined ? null : validateNullableString(input.userId, `${field}.userId`),
    threadId:
      input.threadId === undefined ? null : validateNullableString(input.threadId, `${field}.threadId`),
    messageCount:
      input.messageCount === undefined
        ? 0
        : validateSafeInteger(input.messageCount, `${field}.messageCount`, 0),
    escalated: input.escalated === undefined ? false : validateBoolean(input.escalated, `${field}.escalated`),
    metadata: input.metadata === undefined ? {} : validateMetadata(input.metadata, `${field}.metadata`),
    requestId:
      input.requestId === undefined ? null : validateNullableString(input.requestId, `${field}.requestId`),
    createdAt,
  };
}

/**
 * A validated patch. `metadata` lists the keys to set; `removeKeys` the keys to delete. Top-level fields
 * that were `undefined` are absent.
 */
export interface NormalizedPatch {
  userId?: string | null;
  threadId?: string | null;
  messageCount?: number;
  escalated?: boolean;
  requestId?: string | null;
  metadata: JsonObject;
  removeKeys: string[];
}

export function validatePatch(patch: unknown): NormalizedPatch {
  if (!isPlainObject(patch)) fail('patch', `expected an object, got ${kind(patch)}`);
  const out: NormalizedPatch = { metadata: {}, removeKeys: [] };
  for (const key of Object.keys(patch)) {
    if (!PATCH_KEYS.has(key)) {
      fail(`patch.${key}`, `is not an updatable field (allowed: ${[...PATCH_KEYS].join(', ')})`);
    }
  }
  const p = patch as SessionPatch;
  if (p.userId !== undefined) out.userId = validateNullableString(p.userId, 'patch.userId');
  if (p.threadId !== undefined) out.threadId = validateNullableString(p.threadId, 'patch.threadId');
  if (p.requestId !== undefined) out.requestId = validateNullableString(p.requestId, 'patch.requestId');
  if (p.escalated !== undefined) out.escalated = validateBoolean(p.escalated, 'patch.escalated');
  if (p.messageCount !== undefined)
    out.messageCount = validateSafeInteger(p.messageCount, 'patch.messageCount', 0);
  if (p.metadata !== undefined) {
    if (!isPlainObject(p.metadata))
      fail('patch.metadata', `expected a plain object, got ${kind(p.metadata)}`);
    for (const key of Object.keys(p.metadata)) {
      const value = p.metadata[key];
      if (value === undefined) out.removeKeys.push(key);
      else setOwn(out.metadata, key, value);
    }
    // One walk over the values to set; it names `patch.metadata.<key>…` when something is not JSON.
    validateJson(out.metadata, 'patch.metadata');
  }
  return out;
}

/** SessionData fields that are not counters: naming one is a mistake, not a new metadata key. */
const NON_COUNTER_FIELDS: ReadonlySet<string> = new Set([
  'sessionId',
  'userId',
  'threadId',
  'escalated',
  'metadata',
  'requestId',
  'createdAt',
  'updatedAt',
  'lastActivity',
  'expiresAt',
  'version',
]);

/**
 * `messageCount`, or any metadata key (a string, possibly empty) that is not the name of another
 * SessionData field: `incrementCounter(id, 'escalated')` would otherwise count a metadata key while the
 * field it names stays as it was.
 */
export function validateCounterField(field: unknown): string {
  if (typeof field !== 'string')
    fail('field', `expected "messageCount" or a metadata key, got ${kind(field)}`);
  if (NON_COUNTER_FIELDS.has(field)) {
    fail(
      'field',
      `${JSON.stringify(field)} is a SessionData field that is not a counter; only messageCount and ` +
        'metadata keys that are not SessionData field names can be incremented',
    );
  }
  return field;
}

export function validateListOptions(options: unknown): { limit: number; offset: number } {
  if (options === undefined) return { limit: DEFAULT_LIST_LIMIT, offset: 0 };
  if (!isPlainObject(options)) fail('options', `expected an object, got ${kind(options)}`);
  const { limit, offset } = options as { limit?: unknown; offset?: unknown };
  return {
    limit: limit === undefined ? DEFAULT_LIST_LIMIT : validateSafeInteger(limit, 'limit', 0),
    offset: offset === undefined ? 0 : validateSafeInteger(offset, 'offset', 0),
  };
}

/** How many ids `listActive` returns when no `limit` is given. */
export const DEFAULT_LIST_LIMIT = 100;

export function validateOptionsObject(options: unknown, field: string): Record<string, unknown> {
  if (options === undefined) return {};
  if (!isPlainObject(options)) fail(field, `expected an object, got ${kind(options)}`);
  return options;
}

/** Edit distance between two option names (insertions, deletions, substitutions), case-insensitive. */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let row = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const next = [i];
    for (let j = 1; j <= y.length; j++) {
      const substitution = (row[j - 1] as number) + (x[i - 1] === y[j - 1] ? 0 : 1);
      next.push(Math.min(substitution, (row[j] as number) + 1, (next[j - 1] as number) + 1));
    }
    row = next;
  }
  return row[y.length] as number;
}

/**
 * Throws SessionValidationError for the first own key of `options` that `known` does not list, naming it
 * (`field` is the option's name) and suggesting the closest known name when one is near: a misspelt
 * option would otherwise be ignored and its protection silently missing. `owner` names the constructor.
 * Options that are not a plain object are left to validateOptionsObject.
 */
export function rejectUnknownOptions(options: unknown, known: readonly string[], owner: string): void {
  if (!isPlainObject(options)) return;
  const names = new Set(known);
  for (const key of Object.keys(options)) {
    if (names.has(key)) continue;
    let best: string | undefined;
    let bestDistance = Number.POSITIVE_INFINITY;
    for (const name of known) {
      const d = distance(key, name);
      if (d < bestDistance) {
        best = name;
        bestDistance = d;
      }
    }
    // Near enough to be a typo: a third of the name's length, at least one edit, at most three.
    const near = best !== undefined && bestDistance <= Math.min(3, Math.max(1, Math.floor(key.length / 3)));
    throw new SessionValidationError(
      `Unknown ${owner} option ${JSON.stringify(key)}: ${near ? `did you mean ${best}?` : `expected one of ${known.join(', ')}`}`,
      { field: key },
    );
  }
}

/** A session whose encoding (`bytes`, UTF-8) passes the maxSessionBytes `limit`: nothing is stored. */
export function sessionTooLargeError(
  sessionId: string,
  bytes: number,
  limit: number,
): SessionValidationError {
  return new SessionValidationError(
    `Session ${JSON.stringify(sessionId.slice(0, 64))} would be ${bytes} bytes encoded, over the ` +
      `maxSessionBytes limit of ${limit}; nothing was stored`,
    { field: 'maxSessionBytes' },
  );
}
