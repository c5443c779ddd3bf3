// The part of a SessionStore the adapter calls: the five history methods of DESIGN §9.
import type { JsonObject } from '../codec/json.js';

export interface HistoryStore {
  appendItems(
    id: string,
    items: JsonObject[],
    options?: { operationId?: string; ttlSeconds?: number },
  ): Promise<number>;
  getItems(id: string, options?: { limit?: number; touch?: boolean }): Promise<JsonObject[]>;
  popItem(id: string): Promise<JsonObject | null>;
  replaceItems(
    id: string,
    replacement: JsonObject[],
    options?: { expectedSuffix?: JsonObject[]; operationId?: string },
  ): Promise<number>;
  clearItems(id: string): Promise<number>;
}
