// Validation shared by the agent's option objects. Every bad option throws SessionValidationError with
// `field` set to the option's dotted name, like the stores do, so a host handles one error class.
import { SessionValidationError } from '../errors/errors.js';

/** Throws SessionValidationError for `field` with `message`. */
export function badOption(field: string, message: string): never {
  throw new SessionValidationError(message, { field });
}

/** A finite number above 0 (or at least 0 when `allowZero`). */
export function finiteNumber(value: unknown, field: string, allowZero = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    badOption(field, `${field} option must be a ${allowZero ? 'nonnegative' : 'positive'} finite number`);
  }
  return value;
}

/** A safe integer of at least 1. */
export function positiveInteger(value: unknown, field: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 1) {
    badOption(field, `${field} option must be a positive integer`);
  }
  return value as number;
}

/** A function, or undefined. */
export function optionalFunction<T>(value: T | undefined, field: string): T | undefined {
  if (value !== undefined && typeof value !== 'function')
    badOption(field, `${field} option must be a function`);
  return value;
}

/**
 * `defaults` overlaid with the options the user set. An option given as `undefined` keeps its default,
 * as destructuring defaults would.
 */
export function withDefaults<T extends object>(defaults: Required<T>, options: T | undefined): Required<T> {
  const merged = { ...defaults };
  for (const [key, value] of Object.entries(options ?? {})) {
    if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
  }
  return merged;
}
