// JSON values: the one shape metadata may take. Validation names the offending path; cloning knows the
// shape, so it is several times cheaper than structuredClone and never lets `__proto__` reach a prototype.

/** A value that survives `JSON.stringify` → `JSON.parse` unchanged. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Free-form session metadata: a plain object of JSON values. */
export type JsonObject = { [key: string]: JsonValue };

/** Deepest nesting accepted in metadata; deeper values are refused rather than risk a stack overflow. */
export const MAX_JSON_DEPTH = 64;

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'bigint') return 'a BigInt';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  if (value instanceof Date) return 'a Date (store an ISO string instead)';
  if (typeof value === 'object' && value !== null) {
    const name = Object.getPrototypeOf(value)?.constructor?.name;
    return name ? `an instance of ${name}` : 'a non-plain object';
  }
  return typeof value;
}

function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/**
 * Returns a description of the first thing in `value` that is not JSON, with its path, or `undefined`
 * when the whole value is JSON. `path` names the root, e.g. `metadata.cart`. The walk keeps the path as
 * a stack of segments and formats it only when it finds a problem: valid input, the common case, pays
 * for no strings.
 */
export function findNonJson(value: unknown, path: string): { path: string; problem: string } | undefined {
  // Valid input, the common case, takes the allocation-free check; only a failure walks again to say
  // where and why.
  const stack: object[] = [];
  if (isPlainJson(value, 0, stack)) return undefined;
  return explainNonJson(value, path);
}

/**
 * Whether `value` is JSON, by the same rules as explainNonJson, without building any description.
 * `stack` holds the containers being visited (a repeat is a cycle); it is left unbalanced on `false`.
 */
function isPlainJson(value: unknown, depth: number, stack: object[]): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (depth >= MAX_JSON_DEPTH || stack.includes(value)) return false;
      if (Array.isArray(value)) {
        stack.push(value);
        for (let i = 0; i < value.length; i++) {
          if (!(i in value) || !isPlainJson(value[i], depth + 1, stack)) return false;
        }
        stack.pop();
        return true;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      if (Object.getOwnPropertySymbols(value).length > 0) return false;
      stack.push(value);
      const keys = Object.keys(value);
      for (let i = 0; i < keys.length; i++) {
        if (!isPlainJson((value as Record<string, unknown>)[keys[i] as string], depth + 1, stack))
          return false;
      }
      stack.pop();
      return true;
    }
    default:
      return false;
  }
}

/** The first thing in `value` that is not JSON, with its path; undefined when there is none. */
function explainNonJson(value: unknown, path: string): { path: string; problem: string } | undefined {
  const ancestors = new Set<object>();
  const segments: (string | number)[] = [];
  const report = (problem: string, last?: string | number) => {
    if (last !== undefined) segments.push(last);
    return { path: segments.reduce<string>((at, key) => childPath(at, key), path), problem };
  };
  const visit = (current: unknown, depth: number): { path: string; problem: string } | undefined => {
    switch (typeof current) {
      case 'string':
      case 'boolean':
        return undefined;
      case 'number':
        return Number.isFinite(current) ? undefined : report(`${current} is not a JSON number`);
      case 'object': {
        if (current === null) return undefined;
        if (depth >= MAX_JSON_DEPTH) return report(`nesting deeper than ${MAX_JSON_DEPTH} levels`);
        if (ancestors.has(current)) return report('a circular reference');
        if (Array.isArray(current)) {
          ancestors.add(current);
          for (let i = 0; i < current.length; i++) {
            if (!(i in current)) return report('a hole in a sparse array', i);
            segments.push(i);
            const found = visit(current[i], depth + 1);
            if (found) return found;
            segments.pop();
          }
          ancestors.delete(current);
          return undefined;
        }
        const proto = Object.getPrototypeOf(current);
        if (proto !== Object.prototype && proto !== null) {
          return report(`${describe(current)}, not a plain object`);
        }
        if (Object.getOwnPropertySymbols(current).length > 0) return report('an object with symbol keys');
        ancestors.add(current);
        for (const key of Object.keys(current)) {
          segments.push(key);
          const found = visit((current as Record<string, unknown>)[key], depth + 1);
          if (found) return found;
          segments.pop();
        }
        ancestors.delete(current);
        return undefined;
      }
      default:
        return report(`${describe(current)} is not JSON`);
    }
  };
  return visit(value, 0);
}

/** True for a plain object (not an array, not null, prototype Object.prototype or null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Sets `target[key] = value` as an own data property, even for `__proto__`. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/**
 * Deep copy of a value already known to be JSON. `-0` becomes `0`, as it would through JSON text, so
 * every backend hands back the same value.
 */
export function cloneJson<T extends JsonValue>(value: T): T {
  if (typeof value !== 'object' || value === null) return (value === 0 ? 0 : value) as T;
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = cloneJson(value[i] as JsonValue);
    return out as T;
  }
  return cloneJsonObject(value as JsonObject) as T;
}

/** Deep copy of a plain object of JSON values. */
export function cloneJsonObject(value: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const item = value[key] as JsonValue;
    const copy = typeof item === 'object' && item !== null ? cloneJson(item) : item === 0 ? 0 : item;
    if (key === '__proto__') setOwn(out, key, copy);
    else out[key] = copy;
  }
  return out;
}

/**
 * The same copy as `cloneJsonObject` for an object the library built itself: string keys only (no symbol
 * keys), JSON values. Object spread copies the whole shape at once (about a third faster on session
 * metadata); only nested values and `-0` need a second look. A symbol-keyed property would be copied
 * too, which is why untrusted input goes through `cloneJsonObject`.
 */
export function cloneTrustedJsonObject(value: JsonObject): JsonObject {
  // Spread defines own data properties, so a `__proto__` key stays plain data here as well.
  const out: JsonObject = { ...value };
  const keys = Object.keys(out);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const item = out[key] as JsonValue;
    if (typeof item === 'object' && item !== null) setOwn(out, key, cloneTrustedJson(item));
    else if (item === 0) setOwn(out, key, 0);
  }
  return out;
}

function cloneTrustedJson(value: JsonObject | JsonValue[]): JsonValue {
  if (!Array.isArray(value)) return cloneTrustedJsonObject(value);
  const out = new Array<JsonValue>(value.length);
  for (let i = 0; i < value.length; i++) {
    const item = value[i] as JsonValue;
    out[i] = typeof item === 'object' && item !== null ? cloneTrustedJson(item) : item === 0 ? 0 : item;
  }
  return out;
}
