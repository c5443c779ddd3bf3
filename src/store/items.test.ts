// Item encoding: canonical text (so suffix equality is string equality), paths in errors, digests.
import { describe, expect, it } from 'vitest';
import { isSessionDecodeError, SessionValidationError } from '../errors/errors.js';
import { decodeItems, encodeItem, encodeItems, payloadDigest, validateOperationId } from './items.js';

describe('encodeItem', () => {
  it('sorts keys at every level, drops undefined properties and prints -0 as 0', () => {
    const a = encodeItem({ b: 1, a: { d: [{ z: 1, y: 2 }], c: undefined }, n: -0 }, 'items[0]');
    expect(a).toBe('{"a":{"d":[{"y":2,"z":1}]},"b":1,"n":0}');
    expect(encodeItem({ a: { d: [{ y: 2, z: 1 }] }, n: 0, b: 1 }, 'items[0]')).toBe(a);
  });

  it('keeps __proto__ and unicode as data', () => {
    const text = encodeItem(JSON.parse('{"__proto__":{"x":1},"s":"é\\u2028🙂"}'), 'items[0]');
    expect(JSON.parse(text)).toEqual(JSON.parse('{"__proto__":{"x":1},"s":"é\\u2028🙂"}'));
  });

  it('names the path of what is not JSON', () => {
    const cases: [unknown, string][] = [
      [{ content: [{ text: 'ok' }, { fn: () => 1 }] }, 'items[3].content[1].fn'],
      [{ 'odd key': Number.POSITIVE_INFINITY }, 'items[3]["odd key"]'],
      [{ list: [1, undefined] }, 'items[3].list[1]'],
      [[1], 'items[3]'],
    ];
    for (const [value, path] of cases) {
      expect(() => encodeItem(value, 'items[3]')).toThrow(SessionValidationError);
      try {
        encodeItem(value, 'items[3]');
      } catch (error) {
        expect((error as SessionValidationError).field).toBe(path);
      }
    }
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < 70; i++) deep = deep.next = {} as Record<string, unknown>;
    expect(() => encodeItem(root, 'items[0]')).toThrow(/nesting deeper/);
  });
});

describe('encodeItems', () => {
  it('caps UTF-8 bytes per item with field maxItemBytes', () => {
    expect(encodeItems([{ t: 'é'.repeat(4) }], 'items', 16)).toHaveLength(1); // 8 + 8 bytes
    expect(() => encodeItems([{ t: 'é'.repeat(5) }], 'items', 16)).toThrow(
      expect.objectContaining({ field: 'maxItemBytes' }),
    );
    const holey: object[] = new Array(2);
    holey[1] = { b: 1 };
    expect(() => encodeItems(holey, 'items')).toThrow(/items\[0\]: a hole/);
  });
});

describe('decodeItems', () => {
  it('returns fresh objects and refuses what is not a JSON object', () => {
    const text = '{"a":[1]}';
    const [first] = decodeItems('s', [text]);
    const [second] = decodeItems('s', [text]);
    expect(first).toEqual({ a: [1] });
    expect(first).not.toBe(second);
    for (const bad of ['{', '[]', '1', 'null']) {
      let caught: unknown;
      try {
        decodeItems('s', ['{}', bad]);
      } catch (error) {
        caught = error;
      }
      expect(isSessionDecodeError(caught)).toBe(true);
      expect((caught as { field: string }).field).toBe('items[1]');
    }
  });
});

describe('payloadDigest and operation ids', () => {
  it('tells apart method, items, an omitted suffix and an empty one', () => {
    const items = ['{"a":1}'];
    const digests = new Set([
      payloadDigest('appendItems', items),
      payloadDigest('replaceItems', items),
      payloadDigest('replaceItems', items, []),
      payloadDigest('replaceItems', [], items),
      payloadDigest('appendItems', ['{"a":2}']),
      payloadDigest('appendItems', ['{"a":1}', '{"a":1}']),
    ]);
    expect(digests.size).toBe(6);
    expect(payloadDigest('appendItems', items)).toBe(payloadDigest('appendItems', ['{"a":1}']));
  });

  it('validates operation ids', () => {
    expect(validateOperationId(undefined)).toBeUndefined();
    expect(validateOperationId('op-1')).toBe('op-1');
    for (const bad of ['', 'x'.repeat(513), 1, null])
      expect(() => validateOperationId(bad)).toThrow(/operationId/);
  });
});
