// The error classes every store throws. Each carries a stable `code` and a guard that recognises it
// by that code, so the guards keep working when two copies of the package end up in one process.

/** Stable codes, one per error class. */
export type SessionStoreErrorCode =
  | 'SESSION_STORE_ERROR'
  | 'SESSION_VALIDATION'
  | 'SESSION_DECODE'
  | 'SESSION_CONFLICT'
  | 'STORE_UNAVAILABLE'
  | 'STORE_CONFIG'
  | 'STORE_CLOSED'
  | 'NOT_DURABLE';

const MARKER = Symbol.for('agent-session-store.error');

/** Base class of every error this package throws on purpose. */
export class SessionStoreError extends Error {
  readonly code: SessionStoreErrorCode = 'SESSION_STORE_ERROR';
  readonly [MARKER] = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad input: an id, TTL, patch, delta or metadata value the contract does not allow. */
export class SessionValidationError extends SessionStoreError {
  override readonly code = 'SESSION_VALIDATION' as const;
  /** The offending field or metadata path, e.g. `sessionId` or `metadata.cart[2]`. */
  readonly field: string | undefined;

  constructor(message: string, options?: { cause?: unknown; field?: string }) {
    super(message, options);
    this.field = options?.field;
  }
}

/** A stored record that cannot be decoded into a valid SessionData. */
export class SessionDecodeError extends SessionStoreError {
  override readonly code = 'SESSION_DECODE' as const;
  /** The first field that failed, e.g. `createdAt` or `metadata`. */
  readonly field: string | undefined;

  constructor(message: string, options?: { cause?: unknown; field?: string }) {
    super(message, options);
    this.field = options?.field;
  }
}

/** What a SessionConflictError is about. */
export type SessionConflictReason = 'version' | 'expectedSuffix' | 'operationId';

/**
 * A conditional write found the session other than the caller expected, and nothing was written:
 * a stale `expectedVersion` (`update`), a stale `expectedSuffix` (`replaceItems`), or an `operationId`
 * reused with a different payload (history writes). `reason` says which.
 */
export class SessionConflictError extends SessionStoreError {
  override readonly code = 'SESSION_CONFLICT' as const;
  readonly sessionId: string;
  readonly reason: SessionConflictReason;
  /** For a `version` conflict: the version the caller expected; otherwise undefined. */
  readonly expectedVersion: number | undefined;
  /** For a `version` conflict: the stored version; otherwise undefined. */
  readonly actualVersion: number | undefined;

  constructor(sessionId: string, expectedVersion: number, actualVersion: number);
  constructor(sessionId: string, reason: Exclude<SessionConflictReason, 'version'>, message: string);
  constructor(sessionId: string, a: number | SessionConflictReason, b: number | string) {
    super(
      typeof a === 'number'
        ? `Session version conflict: expected version ${a} but the stored version is ${b}`
        : String(b),
    );
    this.sessionId = sessionId;
    this.reason = typeof a === 'number' ? 'version' : a;
    this.expectedVersion = typeof a === 'number' ? a : undefined;
    this.actualVersion = typeof a === 'number' ? (b as number) : undefined;
  }
}

/**
 * The backend could not be reached or did not answer in time. The outcome of a write that fails this
 * way is unknown: it may or may not have been applied.
 */
export class SessionStoreUnavailableError extends SessionStoreError {
  override readonly code = 'STORE_UNAVAILABLE' as const;
}

/**
 * The backend refused the store's configuration: wrong credentials, an ACL user without a command or key
 * the store needs, a TLS certificate that could not be verified. Retrying cannot help; the message names
 * what to change and `cause` holds the server's or TLS layer's own error. A store whose connection was
 * refused this way stops reconnecting: fix the configuration and create a new store.
 */
export class SessionStoreConfigError extends SessionStoreError {
  override readonly code = 'STORE_CONFIG' as const;
}

/**
 * A write with the `durability` option (RedisSessionStore) was applied on the master but fewer than
 * `requiredReplicas` replicas confirmed it within the option's `timeoutMs`. The write is NOT rolled back:
 * the master holds it and serves it, and it reaches the replicas when they catch up, unless the master
 * fails first and a replica without it is promoted. Retrying a write that is not idempotent (an increment)
 * applies it twice; read the session back instead.
 */
export class SessionNotDurableError extends SessionStoreError {
  override readonly code = 'NOT_DURABLE' as const;
  readonly sessionId: string | undefined;
  /** Replicas that confirmed the write before the timeout (what `WAIT` answered); 0 when WAIT failed. */
  readonly acknowledgedReplicas: number;
  /** Replicas the `durability` option asks for. */
  readonly requiredReplicas: number;

  constructor(
    message: string,
    options: {
      sessionId?: string;
      acknowledgedReplicas: number;
      requiredReplicas: number;
      cause?: unknown;
    },
  ) {
    super(message, { cause: options.cause });
    this.sessionId = options.sessionId;
    this.acknowledgedReplicas = options.acknowledgedReplicas;
    this.requiredReplicas = options.requiredReplicas;
  }
}

/** The store was closed; it accepts no further calls. */
export class SessionStoreClosedError extends SessionStoreError {
  override readonly code = 'STORE_CLOSED' as const;

  constructor(message = 'The session store is closed') {
    super(message);
  }
}

function hasCode(error: unknown, code: SessionStoreErrorCode): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as Record<symbol, unknown>)[MARKER] === true &&
    (error as { code?: unknown }).code === code
  );
}

export const isSessionStoreError = (error: unknown): error is SessionStoreError =>
  typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
export const isSessionValidationError = (error: unknown): error is SessionValidationError =>
  hasCode(error, 'SESSION_VALIDATION');
export const isSessionDecodeError = (error: unknown): error is SessionDecodeError =>
  hasCode(error, 'SESSION_DECODE');
export const isSessionConflictError = (error: unknown): error is SessionConflictError =>
  hasCode(error, 'SESSION_CONFLICT');
export const isSessionStoreUnavailableError = (error: unknown): error is SessionStoreUnavailableError =>
  hasCode(error, 'STORE_UNAVAILABLE');
export const isSessionStoreConfigError = (error: unknown): error is SessionStoreConfigError =>
  hasCode(error, 'STORE_CONFIG');
export const isSessionNotDurableError = (error: unknown): error is SessionNotDurableError =>
  hasCode(error, 'NOT_DURABLE');
export const isSessionStoreClosedError = (error: unknown): error is SessionStoreClosedError =>
  hasCode(error, 'STORE_CLOSED');
