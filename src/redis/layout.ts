// The record header's layout, defined once: the TypeScript codec (record.ts) and the Lua scripts
// (scripts.ts) compute every offset, width and format string they use from these constants.
//
// The header is the format tag, then eight fixed-width decimal integers, then `\n`. Fixed widths let a
// script read or rewrite one field in place (GETRANGE/SETRANGE) without touching the data after it.
// Changing anything here changes the stored format: existing records would no longer decode.

/** The format tag every record starts with. */
export const TAG = 'A1';
/** Characters of every header field: zero-padded digits, or `-` then digits one fewer. */
export const FIELD_WIDTH = 17;
/** The header fields, in stored order. Times are epoch ms; `ttl` in ms; `size` in bytes. */
export const HEADER_FIELDS = [
  'version',
  'ttl',
  'createdAt',
  'updatedAt',
  'lastActivity',
  'expiresAt',
  'size',
  'messageCount',
] as const;
export type HeaderField = (typeof HEADER_FIELDS)[number];

/** Position of a field in HEADER_FIELDS (0-based). */
export const fieldIndex = (field: HeaderField): number => HEADER_FIELDS.indexOf(field);
/** Offset of a field's first character in the record (0-based, as SETRANGE and String#slice count). */
export const fieldOffset = (field: HeaderField): number => TAG.length + FIELD_WIDTH * fieldIndex(field);
/** Offset just past a field's last character (0-based, exclusive). */
export const fieldEnd = (field: HeaderField): number => fieldOffset(field) + FIELD_WIDTH;

/** Characters of the header, its final newline included; the data starts at this offset. */
export const HEADER_LENGTH = TAG.length + FIELD_WIDTH * HEADER_FIELDS.length + 1;

/**
 * Length of the reply of set and of a creating getOrCreate: the tag and the fields before messageCount,
 * which the script formats itself (Node formats messageCount and the data). Shorter than any record.
 */
export const WRITTEN_LENGTH = fieldOffset('messageCount');

/**
 * The two fields a slide (get with touch, touch) rewrites in place. They are adjacent, so one SETRANGE
 * writes both and get with touch replies with both as one string of SLID_LENGTH characters.
 */
export const SLID_START = fieldOffset('lastActivity');
export const SLID_END = fieldEnd('expiresAt');
export const SLID_LENGTH = SLID_END - SLID_START;

/** A well-formed header as a JavaScript pattern (anchored; the record's data follows it). */
export const HEADER_REGEXP = new RegExp(
  `^${TAG}(?:\\d{${FIELD_WIDTH}}|-\\d{${FIELD_WIDTH - 1}}){${HEADER_FIELDS.length}}\\n`,
);

/** A well-formed header as a Lua pattern (anchored), for string.find. */
export const HEADER_LUA_PATTERN = `^${TAG}${`[%-%d]${'%d'.repeat(FIELD_WIDTH - 1)}`.repeat(HEADER_FIELDS.length)}\\n`;

/** The Lua string.format directive of one field: a zero-padded integer FIELD_WIDTH characters wide. */
export const LUA_FIELD_FORMAT = `%0${FIELD_WIDTH}d`;
