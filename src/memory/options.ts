// InMemorySessionStore's own options (beside the common ones of SessionStoreOptions): what each means,
// its default, and the one place they are checked. A bad option throws SessionValidationError whose
// `field` names it.
import { SessionValidationError } from '../errors/errors.js';
import { SESSION_STORE_OPTION_NAMES } from '../store/options.js';
import type { SessionStoreOptions } from '../store/SessionStore.js';
import { rejectUnknownOptions } from '../store/validation.js';

export interface InMemorySessionStoreOptions extends SessionStoreOptions {
  /** Most sessions kept; past it the least recently used one is evicted. Default 10,000. */
  maxSessions?: number;
  /** Clock in epoch milliseconds. Default `Date.now`; inject one to test expiry without sleeping. */
  now?: () => number;
}

/** Every option InMemorySessionStore accepts; a Record over the interface's keys, so none can be missed. */
const MEMORY_OPTIONS: Record<Exclude<keyof InMemorySessionStoreOptions, keyof SessionStoreOptions>, true> = {
  maxSessions: true,
  now: true,
};
const KNOWN_OPTIONS = [...SESSION_STORE_OPTION_NAMES, ...Object.keys(MEMORY_OPTIONS)];

/** Throws SessionValidationError for an option no InMemorySessionStore knows (rejectUnknownOptions). */
export function rejectUnknownMemoryOptions(options: InMemorySessionStoreOptions): void {
  rejectUnknownOptions(options, KNOWN_OPTIONS, 'InMemorySessionStore');
}

/** The store's own options with their defaults applied; the common ones are the base class's. */
export function resolveMemoryOptions(options: InMemorySessionStoreOptions): {
  maxSessions: number;
  now: () => number;
} {
  const { maxSessions = 10_000, now = Date.now } = options;
  if (!Number.isSafeInteger(maxSessions) || maxSessions < 1) {
    throw new SessionValidationError('maxSessions option must be a positive integer', {
      field: 'maxSessions',
    });
  }
  if (typeof now !== 'function') {
    throw new SessionValidationError('now option must be a function returning epoch milliseconds', {
      field: 'now',
    });
  }
  return { maxSessions, now };
}
