// `agent-session-store/backend`: what an author of a SessionStore backend needs beyond the root entry —
// the normalized inputs the protected hooks receive, the record helpers every built-in store uses
// (building, patching and counting a session the same way), the history helpers, and the defaults.
// docs/custom-backend.md walks through them; examples/custom-backend.ts uses them.

export { MAX_SESSION_ID_LENGTH } from '../codec/SessionData.js';
export { silentLogger } from '../logger.js';
export type { HistoryOperation, HistoryWriteContext, ItemsOverflow } from '../store/history.js';
export {
  endsWith,
  itemsToTrim,
  OperationLog,
  operationConflictError,
  staleSuffixError,
  tooManyItemsError,
} from '../store/history.js';
export type { EncodedItem } from '../store/items.js';
export { decodeItems, encodeItem, MAX_OPERATION_ID_LENGTH } from '../store/items.js';
export {
  applyCounter,
  applyPatch,
  buildSession,
  cloneSession,
  computeExpiry,
  encodedSize,
  markWritten,
  nextCounterValue,
} from '../store/records.js';
export type { ResolvedStoreOptions } from '../store/SessionStore.js';
export {
  DEFAULT_MAX_ITEM_BYTES,
  DEFAULT_MAX_ITEMS,
  DEFAULT_MAX_SESSION_BYTES,
  DEFAULT_OPERATION_ID_TTL_SECONDS,
  DEFAULT_TTL_SECONDS,
} from '../store/SessionStore.js';
export type { NormalizedInput, NormalizedPatch } from '../store/validation.js';
