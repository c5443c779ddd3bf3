// The record arithmetic every backend that keeps whole SessionData objects needs: creating, replacing,
// patching, counting and sliding expiry. Exported for custom backends so they stay in step with ours.
import { cloneJsonObject, cloneTrustedJsonObject, type JsonObject, setOwn } from '../codec/json.js';
import type { SessionData } from '../codec/SessionData.js';
import { SessionValidationError } from '../errors/errors.js';
import type { NormalizedInput, NormalizedPatch } from './validation.js';

/**
 * When a session written or touched at `nowMs` with `ttlMs` expires: `nowMs + ttlMs`, capped at
 * `createdAt + maxLifetimeMs` when a lifetime cap is set.
 */
export function computeExpiry(
  createdAtMs: number,
  nowMs: number,
  ttlMs: number,
  maxLifetimeMs?: number,
): number {
  const sliding = nowMs + ttlMs;
  return maxLifetimeMs === undefined ? sliding : Math.min(sliding, createdAtMs + maxLifetimeMs);
}

/**
 * A fresh SessionData for `set` or `getOrCreate`; `previous` supplies `createdAt` and `version`.
 * `copyMetadata` copies the input's metadata (a caller whose input is validated may pass the cheaper
 * trusted copy).
 */
export function buildSession(
  id: string,
  input: NormalizedInput,
  nowMs: number,
  expiresAtMs: number,
  previous?: Pick<SessionData, 'createdAt' | 'version'>,
  copyMetadata: (metadata: JsonObject) => JsonObject = cloneJsonObject,
): SessionData {
  const now = new Date(nowMs);
  return {
    sessionId: id,
    userId: input.userId,
    threadId: input.threadId,
    messageCount: input.messageCount,
    escalated: input.escalated,
    metadata: copyMetadata(input.metadata),
    requestId: input.requestId,
    createdAt: new Date((previous?.createdAt ?? input.createdAt ?? now).getTime()),
    updatedAt: now,
    lastActivity: now,
    expiresAt: new Date(expiresAtMs),
    version: (previous?.version ?? 0) + 1,
  };
}

/** Applies a validated patch in place (metadata copied in), bumping version and timestamps. */
export function applyPatch(session: SessionData, patch: NormalizedPatch, nowMs: number): void {
  if (patch.userId !== undefined) session.userId = patch.userId;
  if (patch.threadId !== undefined) session.threadId = patch.threadId;
  if (patch.messageCount !== undefined) session.messageCount = patch.messageCount;
  if (patch.escalated !== undefined) session.escalated = patch.escalated;
  if (patch.requestId !== undefined) session.requestId = patch.requestId;
  const patchMetadata = cloneJsonObject(patch.metadata);
  for (const key of Object.keys(patchMetadata)) setOwn(session.metadata, key, patchMetadata[key]);
  for (const key of patch.removeKeys) delete session.metadata[key];
  markWritten(session, nowMs);
}

/** Bumps `version`, `updatedAt` and `lastActivity` after a data write. */
export function markWritten(session: SessionData, nowMs: number): void {
  session.version += 1;
  session.updatedAt = new Date(nowMs);
  session.lastActivity = session.updatedAt;
}

/**
 * The counter value after adding `delta` to `field` (`messageCount` or a metadata key). Throws
 * SessionValidationError when the field holds a non-integer or the result leaves the safe range; does
 * not modify the session.
 */
export function nextCounterValue(session: SessionData, field: string, delta: number): number {
  const current =
    field === 'messageCount'
      ? session.messageCount
      : Object.hasOwn(session.metadata, field)
        ? session.metadata[field]
        : 0;
  if (typeof current !== 'number' || !Number.isSafeInteger(current)) {
    throw new SessionValidationError(
      `Cannot increment ${describeField(field)}: it holds ${JSON.stringify(current)}, not an integer`,
      { field: describeField(field) },
    );
  }
  const next = current + delta;
  if (!Number.isSafeInteger(next) || (field === 'messageCount' && next < 0)) {
    throw new SessionValidationError(
      `Cannot increment ${describeField(field)} by ${delta}: the result ${next} is out of range`,
      { field: describeField(field) },
    );
  }
  return next;
}

function describeField(field: string): string {
  return field === 'messageCount' ? 'messageCount' : `metadata[${JSON.stringify(field)}]`;
}

/** Stores a counter result computed by `nextCounterValue`. */
export function applyCounter(session: SessionData, field: string, value: number, nowMs: number): void {
  if (field === 'messageCount') session.messageCount = value;
  else setOwn(session.metadata, field, value);
  markWritten(session, nowMs);
}

/** A deep copy: new Dates, new metadata; nothing shared with the original. */
export function cloneSession(session: SessionData): SessionData {
  return copySession(session, cloneJsonObject(session.metadata));
}

/**
 * `cloneSession` for a record a store built itself with these helpers (its metadata has string keys
 * only): the same copy, made faster. Not part of the package's exports.
 */
export function cloneStoredSession(session: SessionData): SessionData {
  return copySession(session, cloneTrustedJsonObject(session.metadata));
}

function copySession(session: SessionData, metadata: SessionData['metadata']): SessionData {
  return {
    sessionId: session.sessionId,
    userId: session.userId,
    threadId: session.threadId,
    messageCount: session.messageCount,
    escalated: session.escalated,
    metadata,
    requestId: session.requestId,
    createdAt: new Date(session.createdAt.getTime()),
    updatedAt: new Date(session.updatedAt.getTime()),
    lastActivity: new Date(session.lastActivity.getTime()),
    expiresAt: session.expiresAt === null ? null : new Date(session.expiresAt.getTime()),
    version: session.version,
  };
}

/** UTF-8 bytes of the session's JSON encoding: what `maxSessionBytes` limits. */
export function encodedSize(session: SessionData): number {
  // Dates serialise through Date#toJSON, exactly as SessionCodec.toJSON writes them.
  return Buffer.byteLength(JSON.stringify(session), 'utf8');
}
