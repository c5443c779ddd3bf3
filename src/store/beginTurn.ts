// beginTurn's arguments, validated, and the beginTurn a backend gets when it does not override the hook:
// composed of the other hooks, correct on any backend though neither atomic nor one round trip.
import { randomUUID } from 'node:crypto';
import type { SessionData, SessionInput } from '../codec/SessionData.js';
import { SessionStoreError } from '../errors/errors.js';
import type { EncodedItem } from './items.js';
import {
  type BeginTurnOptions,
  type BeginTurnRecord,
  DEFAULT_HISTORY_LIMIT,
  type GetOrCreateResult,
} from './types.js';
import {
  type NormalizedInput,
  validateInput,
  validateOptionsObject,
  validateSafeInteger,
  validateTtl,
} from './validation.js';

/** beginTurn's: the session to create when absent (a fresh threadId unless `init` has one), TTL, limit. */
export function beginTurnArgs(
  id: string,
  init: SessionInput,
  options: BeginTurnOptions | undefined,
): { input: NormalizedInput; ttlMs: number | undefined; historyLimit: number } {
  const input = validateInput(id, init, 'init');
  if (init?.threadId === undefined) input.threadId = randomUUID();
  const o = validateOptionsObject(options, 'options');
  const ttlMs = validateTtl(o.ttlSeconds);
  const historyLimit = validateSafeInteger(o.historyLimit ?? DEFAULT_HISTORY_LIMIT, 'historyLimit', 0);
  return { input, ttlMs, historyLimit };
}

/** The steps of a composed beginTurn, each one hook call on the turn's session. */
export interface TurnSteps {
  /** doGetOrCreate with the turn's init and TTL. */
  getOrCreate(): Promise<GetOrCreateResult>;
  /** doIncrementCounter of messageCount by 1; null when the session is absent. */
  count(): Promise<number | null>;
  /** doGet without touch. */
  read(): Promise<SessionData | null>;
  /** doGetItems of the most recent `historyLimit` items, without touch. */
  items(): Promise<readonly EncodedItem[]>;
}

/**
 * Runs the steps in order; a session deleted between them is created again, up to three attempts, then
 * SessionStoreError. `historyLimit` 0 skips the items step.
 */
export async function composeBeginTurn(
  id: string,
  historyLimit: number,
  steps: TurnSteps,
): Promise<BeginTurnRecord> {
  for (let attempt = 1; ; attempt++) {
    const { created } = await steps.getOrCreate();
    const counted = await steps.count();
    const session = counted === null ? null : await steps.read();
    if (session !== null) {
      const items = historyLimit === 0 ? [] : await steps.items();
      return { session, created, items };
    }
    if (attempt >= 3)
      throw new SessionStoreError(`Session ${JSON.stringify(id)} kept vanishing in beginTurn`);
  }
}
