// The record encoder writes its JSON texts itself where it can (strings that need no escaping), so the
// texts must stay byte for byte what JSON.stringify writes: the scripts compare and measure them, and the
// size field must stay the session's exact encoded size.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../codec/json.js';
import { buildSession, encodedSize } from '../store/records.js';
import { validateInput } from '../store/validation.js';
import { encodeInput } from './record.js';

// Strings around every rule of the fast path: quotes, backslashes, control characters, DEL, lone and
// paired surrogates, the line and paragraph separators, non-ASCII letters.
const edgeStrings = [
  '',
  'plain',
  'say "hi"',
  'back\\slash',
  'tab\there',
  'line\nbreak',
  '\u0000',
  '\u001f',
  '\u007f',
  '\u2028\u2029',
  'é and ü',
  '😀',
  '\ud800',
  'x\udfff',
  '\udfff\ud800',
];

const text = fc.oneof(
  fc.constantFrom(...edgeStrings),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 10 }),
);

/** The metadata entries as JSON.stringify writes them, in the record's entry layout. */
function expectedMetadata(metadata: JsonObject): string {
  const entries = Object.keys(metadata).map(
    (key) => `\n${JSON.stringify(key)}\t:${JSON.stringify(metadata[key])}`,
  );
  return `{${entries.join(',')}}`;
}

describe('encodeInput', () => {
  it('writes every text as JSON.stringify does, and the exact encoded size', () => {
    fc.assert(
      fc.property(
        text.filter((id) => id.length > 0),
        fc.option(text),
        fc.option(text),
        fc.option(text),
        fc.dictionary(text, fc.oneof(text, fc.jsonValue({ maxDepth: 2 }))),
        fc.nat(),
        fc.boolean(),
        (id, userId, threadId, requestId, metadata, messageCount, escalated) => {
          const input = validateInput(
            id,
            { userId, threadId, requestId, metadata, messageCount, escalated },
            'data',
          );
          const { rest, size } = encodeInput(id, input);
          const lines = [
            String(messageCount).padStart(17, '0'),
            JSON.stringify(userId),
            JSON.stringify(threadId),
            JSON.stringify(requestId),
            String(escalated),
          ];
          expect(rest).toBe(`${lines.join('\n')}\n${expectedMetadata(input.metadata)}`);
          const now = Date.UTC(2026, 11, 1);
          expect(size).toBe(encodedSize(buildSession(id, input, now, now)));
        },
      ),
      { numRuns: 500 },
    );
  });

  it.each(edgeStrings)('encodes %j the same way in every position', (value) => {
    const id = value === '' ? 'id' : value;
    const input = validateInput(
      id,
      { userId: value, threadId: value, requestId: value, metadata: { [value]: value, list: [value] } },
      'data',
    );
    const { rest } = encodeInput(id, input);
    const quoted = JSON.stringify(value);
    expect(rest.split('\n').slice(1, 4)).toEqual([quoted, quoted, quoted]);
    expect(rest).toContain(`\n${quoted}\t:${quoted}`);
    expect(JSON.parse(rest.slice(rest.indexOf('{')))).toEqual(input.metadata);
  });
});
