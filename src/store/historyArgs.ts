// The arguments of the base class's history writes (appendItems, replaceItems), validated and put in the
// form the hooks take: items encoded once and the write's context built (history.ts). Each throws
// SessionValidationError naming the bad argument, in the order the method reads them.
import { type HistoryWriteContext, historyWriteContext } from './history.js';
import { type EncodedItem, encodeItems } from './items.js';
import type {
  AppendItemsOptions,
  HistoryItemInput,
  ReplaceItemsOptions,
  ResolvedStoreOptions,
} from './types.js';
import { validateOptionsObject, validateTtl } from './validation.js';

/** appendItems': the items encoded (each within `maxItemBytes`) and the write's context. */
export function appendItemsArgs(
  store: ResolvedStoreOptions,
  id: string,
  items: readonly HistoryItemInput[],
  options: AppendItemsOptions | undefined,
): { encoded: EncodedItem[]; context: HistoryWriteContext } {
  const o = validateOptionsObject(options, 'options');
  const encoded = encodeItems(items, 'items', store.maxItemBytes);
  const ttlMs = validateTtl(o.ttlSeconds);
  const context = historyWriteContext(store, id, o.operationId, ttlMs, 'appendItems', encoded);
  return { encoded, context };
}

/**
 * replaceItems': the replacement encoded (each item within `maxItemBytes`), the expected suffix encoded
 * (undefined: replace the whole history) and the write's context.
 */
export function replaceItemsArgs(
  store: ResolvedStoreOptions,
  id: string,
  replacement: readonly HistoryItemInput[],
  options: ReplaceItemsOptions | undefined,
): { encoded: EncodedItem[]; suffix: EncodedItem[] | undefined; context: HistoryWriteContext } {
  const o = validateOptionsObject(options, 'options');
  const encoded = encodeItems(replacement, 'replacement', store.maxItemBytes);
  const suffix = o.expectedSuffix === undefined ? undefined : encodeItems(o.expectedSuffix, 'expectedSuffix');
  const context = historyWriteContext(store, id, o.operationId, undefined, 'replaceItems', encoded, suffix);
  return { encoded, suffix, context };
}
