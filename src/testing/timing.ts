// Checks that depend on when a store call ran. With a real clock (a store that cannot take the kit's
// `now`, such as Redis) a call runs at some moment between the time it was sent and the time it resolved,
// and a busy machine can stall anywhere: a sleep can last far longer than asked, a reply can take hundreds
// of milliseconds. So every deadline is measured from timestamps taken around the calls, never from the
// sleeps:
// - a session written by a call W expires no later than W.resolved + TTL: a check that it has expired
//   starts after that, plus PAST_MS, and is always asserted;
// - it expires no earlier than W.started + TTL: a check that it is alive is asserted when the checking
//   call resolved at least ALIVE_MARGIN_MS before that. Otherwise the machine stalled past the deadline,
//   the check cannot tell a bug from the stall, and it is not asserted.
// With a manual clock no time passes during a call, so every check is asserted.
import type { Harness } from './harness.js';

/**
 * How long after the latest possible expiry a check for "expired" starts, in milliseconds: covers the
 * store rounding a TTL to its own units and a server clock read a little behind the kit's.
 */
export const PAST_MS = 100;
/** How long before the earliest possible expiry a check for "alive" must have resolved, in milliseconds. */
export const ALIVE_MARGIN_MS = 50;

/** A store call with the times (Harness.elapsed) it was sent and resolved at. */
export interface TimedCall<T> {
  value: T;
  started: number;
  resolved: number;
}

/** Runs `call`, noting when it was sent and when it resolved. */
export async function timedCall<T>(h: Harness, call: () => Promise<T>): Promise<TimedCall<T>> {
  const started = h.elapsed();
  const value = await call();
  return { value, started, resolved: h.elapsed() };
}

/** Waits until Harness.elapsed() reaches `at`; a sleep may end a little early, so it checks again. */
export async function waitUntil(h: Harness, at: number): Promise<void> {
  for (let left = at - h.elapsed(); left > 0; left = at - h.elapsed()) await h.wait(left);
}

/**
 * Whether a call that resolved at `resolved` certainly ran while a session was alive, the session
 * expiring no earlier than `expiresNoEarlierThan` (both Harness.elapsed times).
 */
export function ranBefore(resolved: number, expiresNoEarlierThan: number): boolean {
  return resolved <= expiresNoEarlierThan - ALIVE_MARGIN_MS;
}
