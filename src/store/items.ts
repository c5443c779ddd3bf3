// History items: validating and encoding what callers pass to the history methods, and decoding what
// backends hand back. Items are stored as canonical JSON text (object keys sorted, no whitespace), so
// that "deep JSON equality, key order ignored" is plain string equality in every backend, Lua included.
import { createHash } from 'node:crypto';
import { isPlainObject, type JsonObject, MAX_JSON_DEPTH } from '../codec/json.js';
import { SessionDecodeError, SessionValidationError } from '../errors/errors.js';

/** One item as backends store it: canonical JSON text of a JSON object. */
export type EncodedItem = string;

/** Longest `operationId` accepted, in characters. */
export const MAX_OPERATION_ID_LENGTH = 512;

function pathOf(root: string, segments: readonly (string | number)[]): string {
  let path = root;
  for (const key of segments) {
    if (typeof key === 'number') path += `[${key}]`;
    else path += /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
  }
  return path;
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'bigint') return 'a BigInt';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  if (typeof value === 'number') return String(value);
  if (value instanceof Date) return 'a Date (store an ISO string instead)';
  if (typeof value === 'object') {
    const name = Object.getPrototypeOf(value)?.constructor?.name;
    return name ? `an instance of ${name}` : 'a non-plain object';
  }
  return typeof value;
}

/**
 * Encodes one item to canonical JSON, refusing what metadata refuses (non-finite numbers, BigInt,
 * functions, symbols, class instances, Dates, sparse arrays, cycles, nesting past MAX_JSON_DEPTH)
 * with a SessionValidationError naming the path, e.g. `items[2].content[0]`. Properties whose value is
 * `undefined` are dropped, as JSON.stringify drops them; `undefined` inside an array is refused.
 */
export function encodeItem(item: unknown, root: string): EncodedItem {
  const segments: (string | number)[] = [];
  const ancestors: object[] = [];
  const fail = (problem: string): never => {
    const path = pathOf(root, segments);
    throw new SessionValidationError(`Invalid ${path}: ${problem}`, { field: path });
  };
  const encode = (value: unknown, depth: number): string => {
    switch (typeof value) {
      case 'string':
        return JSON.stringify(value);
      case 'boolean':
        return value ? 'true' : 'false';
      case 'number':
        if (!Number.isFinite(value)) fail(`${value} is not a JSON number`);
        return JSON.stringify(value); // -0 prints as 0, as JSON text has no negative zero
      case 'object': {
        if (value === null) return 'null';
        if (depth >= MAX_JSON_DEPTH) fail(`nesting deeper than ${MAX_JSON_DEPTH} levels`);
        if (ancestors.includes(value)) fail('a circular reference');
        ancestors.push(value);
        let out: string;
        if (Array.isArray(value)) {
          const parts: string[] = [];
          for (let i = 0; i < value.length; i++) {
            segments.push(i);
            if (!(i in value)) fail('a hole in a sparse array');
            parts.push(encode(value[i], depth + 1));
            segments.pop();
          }
          out = `[${parts.join(',')}]`;
        } else {
          const proto = Object.getPrototypeOf(value);
          if (proto !== Object.prototype && proto !== null) fail(`${describe(value)}, not a plain object`);
          if (Object.getOwnPropertySymbols(value).length > 0) fail('an object with symbol keys');
          const parts: string[] = [];
          for (const key of Object.keys(value).sort()) {
            const child = (value as Record<string, unknown>)[key];
            if (child === undefined) continue;
            segments.push(key);
            parts.push(`${JSON.stringify(key)}:${encode(child, depth + 1)}`);
            segments.pop();
          }
          out = `{${parts.join(',')}}`;
        }
        ancestors.pop();
        return out;
      }
      default:
        return fail(`${describe(value)} is not JSON`);
    }
  };
  if (!isPlainObject(item)) fail(`expected a JSON object, got ${describe(item)}`);
  return encode(item, 0);
}

/**
 * Encodes a list of items; `field` names the argument (`items`, `replacement`, `expectedSuffix`) and
 * each item's path is `field[i]`. `maxItemBytes`, when given, caps the UTF-8 bytes of each encoding.
 */
export function encodeItems(list: unknown, field: string, maxItemBytes?: number): EncodedItem[] {
  if (!Array.isArray(list)) {
    throw new SessionValidationError(
      `Invalid ${field}: expected an array of JSON objects, got ${describe(list)}`,
      {
        field,
      },
    );
  }
  const out = new Array<EncodedItem>(list.length);
  for (let i = 0; i < list.length; i++) {
    if (!(i in list)) {
      throw new SessionValidationError(`Invalid ${field}[${i}]: a hole in a sparse array`, {
        field: `${field}[${i}]`,
      });
    }
    const text = encodeItem(list[i], `${field}[${i}]`);
    // A UTF-16 code unit takes at most 3 UTF-8 bytes: only a long text can be over, and only it is counted.
    if (maxItemBytes !== undefined && text.length * 3 > maxItemBytes) {
      const bytes = Buffer.byteLength(text, 'utf8');
      if (bytes > maxItemBytes) {
        throw new SessionValidationError(
          `${field}[${i}] is ${bytes} bytes as JSON, over the maxItemBytes limit of ${maxItemBytes}; ` +
            'nothing was stored',
          { field: 'maxItemBytes' },
        );
      }
    }
    out[i] = text;
  }
  return out;
}

/**
 * Decodes stored items into fresh objects (so callers always get copies). A text that is not JSON, or
 * not a JSON object, is a SessionDecodeError naming the item's position in what was read.
 */
export function decodeItems(sessionId: string, texts: readonly EncodedItem[]): JsonObject[] {
  const out = new Array<JsonObject>(texts.length);
  for (let i = 0; i < texts.length; i++) out[i] = decodeItem(sessionId, texts[i], `items[${i}]`);
  return out;
}

export function decodeItem(sessionId: string, text: unknown, field = 'item'): JsonObject {
  let value: unknown;
  let cause: unknown;
  if (typeof text === 'string') {
    try {
      value = JSON.parse(text);
    } catch (error) {
      cause = error;
    }
  }
  if (!isPlainObject(value)) {
    throw new SessionDecodeError(
      `Stored history item ${field} of session ${JSON.stringify(sessionId.slice(0, 64))} is not a JSON ` +
        `object: ${JSON.stringify(String(text).slice(0, 80))}`,
      { field, cause },
    );
  }
  return value as JsonObject;
}

/** Validates an `operationId`: 1–512 characters. */
export function validateOperationId(operationId: unknown): string | undefined {
  if (operationId === undefined) return undefined;
  if (
    typeof operationId !== 'string' ||
    operationId.length === 0 ||
    operationId.length > MAX_OPERATION_ID_LENGTH
  ) {
    throw new SessionValidationError(
      `Invalid operationId: expected a string of 1 to ${MAX_OPERATION_ID_LENGTH} characters, got ${
        typeof operationId === 'string' ? `${operationId.length} characters` : describe(operationId)
      }`,
      { field: 'operationId' },
    );
  }
  return operationId;
}

/**
 * The digest of a history write's payload: the method, its items and its suffix (an omitted suffix and
 * `[]` differ). Two calls with one `operationId` are the same call exactly when their digests match.
 * Encoded items hold no raw newline (JSON escapes it), so newline-joined parts cannot run together.
 */
export function payloadDigest(
  method: 'appendItems' | 'replaceItems',
  items: readonly EncodedItem[],
  expectedSuffix?: readonly EncodedItem[],
): string {
  const hash = createHash('sha256');
  hash.update(`${method}\n${items.length}\n`);
  for (const item of items) hash.update(`${item}\n`);
  if (expectedSuffix === undefined) hash.update('whole\n');
  else {
    hash.update(`suffix ${expectedSuffix.length}\n`);
    for (const item of expectedSuffix) hash.update(`${item}\n`);
  }
  return hash.digest('base64');
}
