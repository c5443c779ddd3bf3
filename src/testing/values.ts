// The inputs the conformance suite feeds every store; exported so that a backend's own tests can reuse
// them (the Redis store's codec tests round-trip EXACT_METADATA_VALUES, for instance).

/** Values that must round-trip exactly through every write path. */
export const EXACT_METADATA_VALUES: Record<string, unknown> = {
  emptyArray: [],
  emptyObject: {},
  nullValue: null,
  maxSafe: 2 ** 53 - 1,
  minSafe: -(2 ** 53 - 1),
  pointThree: 0.1 + 0.2,
  tinyNegative: -0.000001,
  huge: 1.7976931348623157e308,
  unicode: 'héllo wörld — 你好 🙂',
  lineSeparator: 'a\u2028b\u2029c',
  quotes: 'say "hi" \\ \n\t',
  nestedEmpty: [[{}], [], [{}, {}], { a: [] }],
  bool: false,
  zero: 0,
};

/** Ids the contract requires every store to accept and keep apart. */
export const VALID_IDS: readonly string[] = [
  'plain',
  'with:colon',
  'with:{brace}',
  '{hashtag}',
  'star*',
  '*',
  'ünïcødé-会话-🙂',
  '__proto__',
  'constructor',
  'x'.repeat(512),
  ' spaced id ',
];

/** Ids every store must refuse with SessionValidationError. */
export const INVALID_IDS: readonly unknown[] = [
  '',
  'x'.repeat(513),
  'line\nbreak',
  'nul\u0000',
  'tab\t',
  'del\u007f',
  42,
  null,
  undefined,
];
