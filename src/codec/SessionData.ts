// The session record and its zod schema: what every store returns and what every decoder must produce.
import { z } from 'zod';
import { findNonJson, isPlainObject, type JsonObject, type JsonValue } from './json.js';

/** One conversation's state. Dates are `Date` objects; metadata holds JSON values only. */
export interface SessionData {
  sessionId: string;
  userId: string | null;
  threadId: string | null;
  /** A safe integer ≥ 0. */
  messageCount: number;
  escalated: boolean;
  metadata: JsonObject;
  requestId: string | null;
  createdAt: Date;
  /** Last data write (set, update, incrementCounter, creation). */
  updatedAt: Date;
  /** Last data write or touch. */
  lastActivity: Date;
  /** Store-assigned; `null` only before the first write. */
  expiresAt: Date | null;
  /** Store-assigned; +1 on every data write, 0 before the first. Touches do not change it. */
  version: number;
}

/** The fields a caller may give to `set` or `getOrCreate`. Store-assigned fields are ignored. */
export type SessionInput = Partial<
  Pick<
    SessionData,
    | 'sessionId'
    | 'userId'
    | 'threadId'
    | 'messageCount'
    | 'escalated'
    | 'metadata'
    | 'requestId'
    | 'createdAt'
  >
>;

/**
 * A partial update. Metadata merges key by key; a metadata key whose value is `undefined` is removed.
 * Top-level `undefined` values are ignored.
 */
export interface SessionPatch {
  userId?: string | null;
  threadId?: string | null;
  messageCount?: number;
  escalated?: boolean;
  requestId?: string | null;
  metadata?: { [key: string]: JsonValue | undefined };
}

/** The keys a patch may carry. */
export const PATCH_KEYS: ReadonlySet<string> = new Set([
  'userId',
  'threadId',
  'messageCount',
  'escalated',
  'requestId',
  'metadata',
]);

/** Longest session id, in UTF-16 code units (JavaScript string length). */
export const MAX_SESSION_ID_LENGTH = 512;

const validDate = z.date().refine((d) => !Number.isNaN(d.getTime()), 'Invalid date');

const jsonObjectSchema = z.custom<JsonObject>(
  (value) => isPlainObject(value) && findNonJson(value, 'metadata') === undefined,
  { message: 'Expected a plain object of JSON values' },
);

/** Validates a decoded SessionData (dates as `Date` objects). */
export const sessionDataSchema = z.object({
  sessionId: z.string().min(1).max(MAX_SESSION_ID_LENGTH),
  userId: z.string().nullable(),
  threadId: z.string().nullable(),
  messageCount: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  escalated: z.boolean(),
  metadata: jsonObjectSchema,
  requestId: z.string().nullable(),
  createdAt: validDate,
  updatedAt: validDate,
  lastActivity: validDate,
  expiresAt: validDate.nullable(),
  version: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
});
