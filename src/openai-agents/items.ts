// Item helpers of the @openai/agents adapter: a strict JSON snapshot of transaction input (read once, so a
// getter or a later mutation by the caller cannot change what is compared and stored) and the filter
// that keeps a trimmed window of history free of tool outputs whose call is outside it.
import type { JsonObject } from '../codec/json.js';
import { SessionValidationError } from '../errors/errors.js';

/** Deepest nesting accepted in an item, as for metadata. */
const MAX_DEPTH = 64;

function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function refuse(path: string, problem: string): never {
  // The message names the path and the kind of value, never the value: items carry user content.
  throw new SessionValidationError(`Invalid ${path}: ${problem}`, { field: path });
}

function kindOf(value: unknown): string {
  if (typeof value === 'bigint') return 'a BigInt';
  if (typeof value === 'symbol') return 'a symbol';
  if (typeof value === 'function') return 'a function';
  if (value instanceof Date) return 'a Date';
  if (ArrayBuffer.isView(value)) return 'binary data (a typed array)';
  if (typeof value === 'object' && value !== null) {
    const name = Object.getPrototypeOf(value)?.constructor?.name;
    return name ? `an instance of ${name}` : 'a non-plain object';
  }
  return typeof value;
}

function snapshotValue(value: unknown, path: string, depth: number, ancestors: Set<object>): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) refuse(path, `${value} is not a JSON number`);
      return value === 0 ? 0 : value;
    case 'object':
      break;
    default:
      refuse(path, `${kindOf(value)} is not JSON`);
  }
  if (value === null) return null;
  if (depth >= MAX_DEPTH) refuse(path, `nesting deeper than ${MAX_DEPTH} levels`);
  if (ancestors.has(value)) refuse(path, 'a circular reference');
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      const length = value.length;
      const out = new Array<unknown>(length);
      for (let i = 0; i < length; i++) {
        const descriptor = Object.getOwnPropertyDescriptor(value, i);
        if (!descriptor) refuse(childPath(path, i), 'a hole in a sparse array');
        if (!('value' in descriptor)) refuse(childPath(path, i), 'an accessor property');
        // JSON has no `undefined` in arrays; refusing keeps the stored item equal to what was given.
        if (descriptor.value === undefined) refuse(childPath(path, i), 'undefined is not JSON');
        out[i] = snapshotValue(descriptor.value, childPath(path, i), depth + 1, ancestors);
      }
      return out;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) refuse(path, `${kindOf(value)}, not a plain object`);
    const out: Record<string, unknown> = {};
    for (const key of Reflect.ownKeys(value)) {
      if (typeof key === 'symbol') refuse(path, 'an object with symbol keys');
      const at = childPath(path, key);
      const descriptor = Object.getOwnPropertyDescriptor(value, key) as PropertyDescriptor;
      if (!('value' in descriptor)) refuse(at, 'an accessor property');
      if (!descriptor.enumerable) refuse(at, 'a non-enumerable property');
      // A property set to `undefined` is dropped, as JSON.stringify and the store drop it.
      if (descriptor.value === undefined) continue;
      Object.defineProperty(out, key, {
        value: snapshotValue(descriptor.value, at, depth + 1, ancestors),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  } finally {
    ancestors.delete(value);
  }
}

/**
 * A detached plain-JSON copy of `value`, each property read once. Refuses, with a
 * SessionValidationError naming the path, anything the store could not keep as given: Dates, BigInts,
 * symbols, functions, typed arrays, class instances, cycles, holes, accessors, non-enumerable properties.
 */
export function snapshotJson(value: unknown, path: string): unknown {
  return snapshotValue(value, path, 0, new Set());
}

/** `snapshotJson` of an array whose every element is an item object. */
export function snapshotItems(items: unknown, path: string): JsonObject[] {
  if (!Array.isArray(items)) refuse(path, `expected an array of items, got ${kindOf(items)}`);
  const snapshot = snapshotJson(items, path) as unknown[];
  snapshot.forEach((item, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      refuse(childPath(path, i), 'expected an item object');
    }
  });
  return snapshot as JsonObject[];
}

/** The id that ties a tool call to its output, or undefined for an item that is neither. */
function callIdOf(item: JsonObject): string | undefined {
  const id = item.callId ?? item.call_id;
  return typeof id === 'string' ? id : undefined;
}

/**
 * Whether `item` is a tool's output: `function_call_result`, `computer_call_result`,
 * `shell_call_output`, `apply_patch_call_output`, `program_output`, `tool_search_output`, and any later
 * `*_result` / `*_output` type that carries a call id.
 */
export function isToolOutput(item: JsonObject): boolean {
  const type = item.type;
  return (
    typeof type === 'string' &&
    (type.endsWith('_result') || type.endsWith('_output')) &&
    callIdOf(item) !== undefined
  );
}

/**
 * `items` without the tool outputs whose call is not among them. A window cut from the oldest end of a
 * log (a `limit`, or a store that trimmed its oldest items) can start after a call and still hold its
 * output; the Responses API rejects an output without its call, so the output goes with it. Calls and
 * outputs are matched by call id, which the API makes unique per call.
 */
export function dropOrphanToolOutputs(items: JsonObject[]): JsonObject[] {
  const calls = new Set<string>();
  let outputs = 0;
  for (const item of items) {
    if (isToolOutput(item)) outputs++;
    else {
      const id = callIdOf(item);
      if (id !== undefined) calls.add(id);
    }
  }
  if (outputs === 0) return items;
  return items.filter((item) => !isToolOutput(item) || calls.has(callIdOf(item) as string));
}

/** Deep JSON equality; key order does not matter. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((value, i) => jsonEqual(value, other[i]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  if (keys.length !== Object.keys(right).length) return false;
  return keys.every((key) => Object.hasOwn(right, key) && jsonEqual(left[key], right[key]));
}

export { refuse as refuseItem };
