// The options every store shares (SessionStoreOptions): their names, for the stores that reject unknown
// options, and their resolution into the internal form the hooks read (milliseconds, defaults applied).
import { SessionValidationError } from '../errors/errors.js';
import { type Logger, silentLogger } from '../logger.js';
import {
  DEFAULT_MAX_ITEM_BYTES,
  DEFAULT_MAX_ITEMS,
  DEFAULT_MAX_SESSION_BYTES,
  DEFAULT_OPERATION_ID_TTL_SECONDS,
  DEFAULT_TTL_SECONDS,
  type ResolvedStoreOptions,
  type SessionStoreOptions,
} from './types.js';
import { validateOptionsObject, validateSafeInteger, validateTtl } from './validation.js';

/**
 * Every option of SessionStoreOptions by name: the built-in stores reject any other (rejectUnknownOptions).
 * A Record over the interface's keys, so adding an option there without listing it here fails to compile.
 */
const COMMON_OPTIONS: Record<keyof SessionStoreOptions, true> = {
  defaultTtlSeconds: true,
  maxLifetimeSeconds: true,
  touchOnGet: true,
  maxSessionBytes: true,
  logger: true,
  maxItems: true,
  maxItemBytes: true,
  itemsOverflow: true,
  operationIdTtlSeconds: true,
};

/** The names of the common options, in declaration order. */
export const SESSION_STORE_OPTION_NAMES: readonly (keyof SessionStoreOptions)[] = Object.keys(
  COMMON_OPTIONS,
) as (keyof SessionStoreOptions)[];

/**
 * Validates the common options and applies their defaults; throws SessionValidationError naming the first
 * bad option. Each option is read once, in declaration order.
 */
export function resolveStoreOptions(options: SessionStoreOptions): {
  resolved: ResolvedStoreOptions;
  logger: Logger;
} {
  const o = validateOptionsObject(options, 'options') as SessionStoreOptions;
  const { defaultTtlSeconds = DEFAULT_TTL_SECONDS, maxLifetimeSeconds, touchOnGet = true } = o;
  const { maxSessionBytes = DEFAULT_MAX_SESSION_BYTES, logger = silentLogger } = o;
  const { maxItems = DEFAULT_MAX_ITEMS, maxItemBytes = DEFAULT_MAX_ITEM_BYTES } = o;
  const { itemsOverflow = 'reject', operationIdTtlSeconds = DEFAULT_OPERATION_ID_TTL_SECONDS } = o;
  if (itemsOverflow !== 'reject' && itemsOverflow !== 'trimOldest') {
    throw new SessionValidationError("itemsOverflow option must be 'reject' or 'trimOldest'", {
      field: 'itemsOverflow',
    });
  }
  if (typeof touchOnGet !== 'boolean') {
    throw new SessionValidationError('touchOnGet option must be a boolean', { field: 'touchOnGet' });
  }
  const resolved: ResolvedStoreOptions = {
    defaultTtlMs: validateTtl(defaultTtlSeconds, 'defaultTtlSeconds') as number,
    maxLifetimeMs: validateTtl(maxLifetimeSeconds, 'maxLifetimeSeconds'),
    touchOnGet,
    maxSessionBytes: validateSafeInteger(maxSessionBytes, 'maxSessionBytes', 1),
    maxItems: validateSafeInteger(maxItems, 'maxItems', 1),
    maxItemBytes: validateSafeInteger(maxItemBytes, 'maxItemBytes', 2),
    itemsOverflow,
    operationIdTtlMs: validateTtl(operationIdTtlSeconds, 'operationIdTtlSeconds') as number,
  };
  return { resolved, logger };
}
