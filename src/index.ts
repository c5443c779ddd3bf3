// Public API of agent-session-store.

export * from './agent/index.js';
export type { JsonObject, JsonValue } from './codec/json.js';
export type { PlainSessionData } from './codec/SessionCodec.js';
export { SessionCodec } from './codec/SessionCodec.js';
export type { SessionData, SessionInput, SessionPatch } from './codec/SessionData.js';
export { MAX_SESSION_ID_LENGTH, sessionDataSchema } from './codec/SessionData.js';
export type { SessionConflictReason, SessionStoreErrorCode } from './errors/errors.js';
export {
  isSessionConflictError,
  isSessionDecodeError,
  isSessionStoreClosedError,
  isSessionStoreError,
  isSessionStoreUnavailableError,
  isSessionValidationError,
  SessionConflictError,
  SessionDecodeError,
  SessionStoreClosedError,
  SessionStoreError,
  SessionStoreUnavailableError,
  SessionValidationError,
} from './errors/errors.js';
export type { Logger } from './logger.js';
export { silentLogger } from './logger.js';
export type { InMemorySessionStoreOptions } from './memory/InMemorySessionStore.js';
export { InMemorySessionStore } from './memory/InMemorySessionStore.js';
export * from './redis/index.js';
export type { HistoryOperation, HistoryWriteContext, ItemsOverflow } from './store/history.js';
export {
  endsWith,
  itemsToTrim,
  OperationLog,
  operationConflictError,
  staleSuffixError,
  tooManyItemsError,
} from './store/history.js';
export type { EncodedItem } from './store/items.js';
export { decodeItems, encodeItem, MAX_OPERATION_ID_LENGTH } from './store/items.js';
export {
  applyCounter,
  applyPatch,
  buildSession,
  cloneSession,
  computeExpiry,
  encodedSize,
  markWritten,
  nextCounterValue,
} from './store/records.js';
export type {
  AppendItemsOptions,
  BeginTurnOptions,
  BeginTurnRecord,
  BeginTurnResult,
  GetItemsOptions,
  GetOptions,
  GetOrCreateResult,
  HistoryItemInput,
  ListOptions,
  ReplaceItemsOptions,
  ResolvedStoreOptions,
  SessionStoreOptions,
  SessionStoreStats,
  TtlOptions,
  UpdateOptions,
} from './store/SessionStore.js';
export {
  DEFAULT_HISTORY_LIMIT,
  DEFAULT_MAX_ITEM_BYTES,
  DEFAULT_MAX_ITEMS,
  DEFAULT_MAX_SESSION_BYTES,
  DEFAULT_OPERATION_ID_TTL_SECONDS,
  DEFAULT_TTL_SECONDS,
  SessionStore,
} from './store/SessionStore.js';
export type { NormalizedInput, NormalizedPatch } from './store/validation.js';
