// From what Redis and ioredis answer to the library's typed errors: a failure the caller can act on
// (conflict, size, bad counter, undecodable record) gets its own error; anything about the server or the
// connection is SessionStoreUnavailableError, with a hint at what to check when there is one.
import {
  isSessionStoreError,
  SessionConflictError,
  SessionDecodeError,
  SessionStoreUnavailableError,
  SessionValidationError,
} from '../errors/errors.js';
import { configRefusal, connectionHint } from './connect-errors.js';
import { TAG } from './layout.js';

// Replies that mean a Cluster slot is between masters (failover, or a node down with full coverage).
const CLUSTER_FAILOVER = /CLUSTERDOWN|Too many Cluster redirections|TRYAGAIN|Failed to refresh slots cache/i;

/** `hint` says what the user can do about it, when there is something specific to say. */
export function unavailable(reason: string, cause?: unknown, hint?: string): SessionStoreUnavailableError {
  return new SessionStoreUnavailableError(`Redis is unavailable: ${reason}${hint ? `. ${hint}` : ''}`, {
    cause,
  });
}

/**
 * A failure to connect, explained by the client's last connection error when there is one; `tls`: whether
 * the connection uses TLS (connect-errors.ts connectionHint).
 */
export function connectionFailure(
  reason: string,
  last: Error | undefined,
  tls = false,
): SessionStoreUnavailableError {
  const detail = last === undefined ? '' : ` (last error: ${last.message})`;
  return unavailable(`${reason}${detail}`, last, connectionHint(last, tls));
}

/** A call that got no reply before its deadline (`timeoutMs`, the commandTimeoutMs option). */
export function noReply(timeoutMs: number): SessionStoreUnavailableError {
  return unavailable(
    `no reply within ${timeoutMs} ms`,
    undefined,
    'Raise commandTimeoutMs if the server is just slow; the outcome of a write is unknown',
  );
}

/**
 * Any failure of a call on session `id` (undefined for whole-store calls) that is not one of a script's
 * own `SESS…` replies: the store's errors pass through, a record the scripts could not read becomes
 * SessionDecodeError, a refusal of the store's credentials or ACL SessionStoreConfigError, everything
 * else SessionStoreUnavailableError.
 */
export function mapRedisError(id: string | undefined, error: unknown): unknown {
  if (isSessionStoreError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const label = JSON.stringify((id ?? '').slice(0, 64));
  // Redis wraps an error raised in Lua in its own text: look for ours anywhere in the message.
  const decode = /SESSDECODE (\S+)/.exec(message);
  if (decode) {
    const field = decode[1] as string;
    const problem =
      field === '(record)'
        ? `the record does not start with a well-formed header (format ${TAG})`
        : `field "${field}" is malformed`;
    return new SessionDecodeError(`Cannot decode session ${label} from Redis: ${problem}`, {
      field,
      cause: error,
    });
  }
  if (message.startsWith('WRONGTYPE')) {
    return new SessionDecodeError(`Cannot decode session ${label} from Redis: the key holds another type`, {
      field: '(record)',
      cause: error,
    });
  }
  const refused = configRefusal(error);
  if (refused !== undefined) return refused;
  if (/max retries per request/i.test(message)) {
    // maxRetriesPerRequest is 0 on purpose (no re-sends): this means the connection dropped.
    return unavailable(
      'the connection was lost while the command was in flight; its outcome is unknown',
      error,
    );
  }
  if (CLUSTER_FAILOVER.test(message)) {
    return unavailable(
      message,
      error,
      'A Redis Cluster slot has no reachable master, usually while a failover runs; it resumes once a replica is promoted (see cluster-node-timeout)',
    );
  }
  return unavailable(message, error);
}

/** The byte count of a script's `SESSSIZE <bytes>` reply (the session would pass maxSessionBytes). */
export function sizeInReply(message: string): number | undefined {
  const size = /^SESSSIZE (\d+)/.exec(message);
  return size ? Number(size[1]) : undefined;
}

/** update's `SESSCONFLICT <actual>` reply: the stored version was not `expected`. */
export function conflictInReply(message: string, id: string, expected: number | undefined) {
  const conflict = /^SESSCONFLICT (\d+)/.exec(message);
  return conflict ? new SessionConflictError(id, expected ?? -1, Number(conflict[1])) : undefined;
}

/** incrementCounter's replies for a field (`label`) that is not a safe integer, or would leave the range. */
export function counterInReply(message: string, label: string, delta: number) {
  if (message.startsWith('SESSNOTINT')) {
    return new SessionValidationError(`Cannot increment ${label}: it does not hold a safe integer`, {
      field: label,
    });
  }
  const range = /^SESSRANGE (\S+)/.exec(message);
  if (range) {
    return new SessionValidationError(
      `Cannot increment ${label} by ${delta}: the result ${range[1]} is out of range`,
      { field: label },
    );
  }
  return undefined;
}

/** incrementCounter's reply: null when the session is absent (0), else the new value (`{ 1, text }`). */
export function counterReply(reply: unknown): number | null {
  if (reply === 0) return null;
  const value = Array.isArray(reply) ? Number(reply[1]) : Number.NaN;
  if (!Number.isSafeInteger(value)) throw new SessionDecodeError(`Unexpected counter reply from Redis`);
  return value;
}

/** A whole-store script's integer reply. */
export function integerReply(reply: unknown): number {
  if (typeof reply !== 'number' || !Number.isSafeInteger(reply)) {
    throw new SessionStoreUnavailableError(`Unexpected reply from Redis: ${String(reply).slice(0, 40)}`);
  }
  return reply;
}

/** listActive's reply: session ids. */
export function stringsReply(reply: unknown): string[] {
  if (!Array.isArray(reply) || !reply.every((v) => typeof v === 'string')) {
    throw new SessionStoreUnavailableError('Unexpected reply from Redis to a listActive script');
  }
  return reply as string[];
}
