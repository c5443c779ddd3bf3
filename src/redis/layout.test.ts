// The header layout is defined once, in layout.ts: every other file of src/redis computes its offsets from
// it. This test fails when one of the header's offsets, widths or formats is written out anywhere else, so
// a layout change cannot leave a stale copy behind (in the codec or in the Lua).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  FIELD_WIDTH,
  fieldEnd,
  fieldOffset,
  HEADER_FIELDS,
  HEADER_LENGTH,
  SLID_END,
  SLID_LENGTH,
  SLID_START,
  TAG,
  WRITTEN_LENGTH,
} from './layout.js';

const dir = import.meta.dirname;
const sources = readdirSync(dir).filter(
  (name) => name.endsWith('.ts') && name !== 'layout.ts' && !name.endsWith('.test.ts'),
);

// Every number a copy of the layout would spell out: field offsets and ends (0-based, as SETRANGE and
// slice count, and 1-based, as Lua's string.sub counts), the header's length and the positions around
// it, the reply and slide lengths, the field width. Small numbers (the tag's length, 0, 1) are left out:
// they are everywhere for other reasons.
const offsets = new Set<number>([
  FIELD_WIDTH,
  FIELD_WIDTH - 1,
  HEADER_LENGTH - 1,
  HEADER_LENGTH,
  HEADER_LENGTH + 1,
]);
for (const field of HEADER_FIELDS) {
  for (const n of [fieldOffset(field), fieldOffset(field) + 1, fieldEnd(field) - 1, fieldEnd(field)]) {
    offsets.add(n);
  }
}
for (const n of [WRITTEN_LENGTH, SLID_START, SLID_END, SLID_LENGTH]) offsets.add(n);
const numbers = [...offsets].filter((n) => n > TAG.length + 1).sort((a, b) => a - b);

// Uses of those numbers that have nothing to do with the header (a radix).
const unrelated = [/toString\(36\)/g];

/** Each line of `text` that spells out a layout number, the tag as a literal, or a field's format. */
function copiesOfTheLayout(text: string): string[] {
  const found: string[] = [];
  const literal = new RegExp(
    `\\b(${numbers.join('|')})\\b|['"\`]${TAG}|%0?${FIELD_WIDTH}d|\\{${FIELD_WIDTH}\\}`,
  );
  for (const [i, line] of text.split('\n').entries()) {
    let rest = line;
    for (const pattern of unrelated) rest = rest.replace(pattern, '');
    if (literal.test(rest)) found.push(`${i + 1}: ${line.trim()}`);
  }
  return found;
}

describe('the record header layout', () => {
  it('is written out only in layout.ts', () => {
    expect(sources.length).toBeGreaterThan(5);
    for (const name of sources) {
      const hits = copiesOfTheLayout(readFileSync(join(dir, name), 'utf8'));
      expect(hits, `${name} spells out the header layout; derive it from layout.ts`).toEqual([]);
    }
  });

  it('the check finds a copy when there is one', () => {
    expect(copiesOfTheLayout("redis.call('SETRANGE', KEYS[1], '70', slid)")).toHaveLength(1);
    expect(copiesOfTheLayout('record.slice(0, 70) + slid + record.slice(104)')).toHaveLength(1);
    expect(copiesOfTheLayout("local HDR = 'A1%017d'")).toHaveLength(1);
    expect(copiesOfTheLayout('const HEADER = /^A1(?:\\d{17}|-\\d{16}){8}\\n/;')).toHaveLength(1);
    expect(copiesOfTheLayout('let at = 140;')).toHaveLength(1);
    expect(copiesOfTheLayout('const id = n.toString(36);')).toHaveLength(0);
  });

  it('fits together: fields back to back after the tag, then the newline', () => {
    expect(fieldOffset(HEADER_FIELDS[0])).toBe(TAG.length);
    for (let i = 1; i < HEADER_FIELDS.length; i++) {
      expect(fieldOffset(HEADER_FIELDS[i] as (typeof HEADER_FIELDS)[number])).toBe(
        fieldEnd(HEADER_FIELDS[i - 1] as (typeof HEADER_FIELDS)[number]),
      );
    }
    expect(fieldEnd('messageCount') + 1).toBe(HEADER_LENGTH);
    expect(SLID_START).toBe(fieldEnd('updatedAt'));
    expect(SLID_END).toBe(fieldOffset('size'));
  });
});
