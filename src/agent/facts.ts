// Fact extraction from a user's message (emails, phone numbers, order/ticket/reference numbers) and
// `redact`, which masks the personal parts so that the agent can log a message without leaking them.

export type FactKind = 'email' | 'phone' | 'reference';

export interface ExtractedFact {
  kind: FactKind;
  /** The value as written, e.g. `jane@example.com`, `+1 (555) 123-4567`, `A-12345`. */
  value: string;
  /** For references, the word that introduced it: order, ticket, reference, confirmation, case, invoice. */
  label?: string;
  /** The fact as a sentence for memory, e.g. `User email: jane@example.com`. */
  text: string;
}

const EMAIL = /(?<![\w.%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])/g;

// A keyword, optional filler ("number", "no.", "#", "is", ":"), then a token that must contain a digit:
// "order of magnitude" and "ticket to ride" are words, not references.
const REFERENCE =
  /\b(order|ticket|reference|ref|confirmation|case|invoice)\b(?:\s+(?:number|no\.?|num|id|code))?(?:\s+is)?\s*[:#]?\s*#?\s*([A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]|[0-9])(?![\w-])/gi;

// Digit groups joined by single spaces, dots or dashes, optionally led by `tel:`, an international prefix
// (+country, or 00country) and an (area) or (0) group: US `(555) 123-4567`, UK `07700 900123`, EU
// `+49 (0) 30 12345678`, `+33 1 23 45 67 89`, E.164 `tel:+15551234567`. Candidates are then filtered:
// 10–15 digits in all (8–15 after a `+` or `tel:`; E.164 allows 15, a date has 8), not an IPv4
// address, not a date followed by a time. A candidate may follow a letter's colon (`phone:555…`), not a
// digit's (a time).
const PHONE_CANDIDATE =
  /(?<![\w+./-]|\d:)(?:tel:)?(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{1,15}(?:[\s.-]\d{1,8}){0,6}(?![\w/:]|[.-]\d)/gi;
const TEL_PREFIX = /^tel:/i;
const INTERNATIONAL = /^(?:tel:|\+)/i;
const DATE_PREFIX = /^\d{4}[-.]\d{1,2}[-.]\d{1,2}(?:\D|$)|^\d{1,2}[-.]\d{1,2}[-.]\d{4}(?:\D|$)/;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

function digitCount(text: string): number {
  let n = 0;
  for (const ch of text) if (ch >= '0' && ch <= '9') n += 1;
  return n;
}

interface Span {
  start: number;
  end: number;
  value: string;
}

function references(text: string): (Span & { label: string })[] {
  const found: (Span & { label: string })[] = [];
  for (const match of text.matchAll(REFERENCE)) {
    const label = (match[1] ?? '').toLowerCase();
    const value = match[2] ?? '';
    if (!/\d/.test(value)) continue;
    const end = (match.index ?? 0) + match[0].length;
    found.push({ start: end - value.length, end, value, label: label === 'ref' ? 'reference' : label });
  }
  return found;
}

function emails(text: string): Span[] {
  return [...text.matchAll(EMAIL)].map((m) => ({
    start: m.index ?? 0,
    end: (m.index ?? 0) + m[0].length,
    value: m[0],
  }));
}

/**
 * Phone candidates outside emails and references, whose digits are not phone numbers. The span covers a
 * `tel:` prefix; the value does not.
 */
function phones(text: string, mail: Span[], refs: Span[]): Span[] {
  const found: Span[] = [];
  for (const match of text.matchAll(PHONE_CANDIDATE)) {
    const written = match[0].trim();
    const value = written.replace(TEL_PREFIX, '');
    const start = match.index ?? 0;
    const end = start + match[0].length;
    // Inside a reference (`order 5551234567`) it is the reference; reaching past one, it is a phone.
    if (refs.some((span) => start >= span.start && end <= span.end)) continue;
    if (mail.some((span) => start < span.end && end > span.start)) continue;
    const digits = digitCount(value);
    if (digits < (INTERNATIONAL.test(written) ? 8 : 10) || digits > 15) continue;
    if (DATE_PREFIX.test(value) || IPV4.test(value)) continue;
    found.push({ start, end, value });
  }
  return found;
}

/**
 * Emails, phone numbers and references (order/ticket/reference/confirmation/case/invoice followed by a
 * token with a digit) in `text`, each once, in the order: emails, phones, references.
 */
export function extractFacts(text: string): ExtractedFact[] {
  const mail = emails(text);
  const refs = references(text);
  const facts: ExtractedFact[] = [];
  const seen = new Set<string>();
  const add = (fact: ExtractedFact): void => {
    const key = `${fact.kind}:${fact.value.toLowerCase()}`;
    if (seen.has(key)) return;
    seen.add(key);
    facts.push(fact);
  };
  for (const { value } of mail) add({ kind: 'email', value, text: `User email: ${value}` });
  for (const { value } of phones(text, mail, refs)) {
    add({ kind: 'phone', value, text: `User phone: ${value}` });
  }
  for (const { value, label } of refs) {
    add({ kind: 'reference', value, label, text: `Reference number: ${value} (${label})` });
  }
  return facts;
}

/** An error's message (or what was thrown, as text), redacted for logs and responses. */
export function redactError(error: unknown): string {
  return redact(error instanceof Error ? error.message : String(error));
}

/**
 * At most `chars` characters of `text` after redaction: redacting first means a cut can never leave part
 * of an email or a phone number behind (a cut mask, `[em`, says nothing).
 */
export function redactedExcerpt(text: string, chars: number): string {
  return redact(text).slice(0, chars);
}

/**
 * `text` with emails replaced by `[email]` and phone numbers by `[phone]`, so it can be logged.
 * References (order numbers and the like) are kept: they identify a case, not a person.
 */
export function redact(text: string): string {
  const mail = emails(text);
  const spans = [
    ...mail.map((s) => ({ ...s, mask: '[email]' })),
    ...phones(text, mail, references(text)).map((s) => ({ ...s, mask: '[phone]' })),
  ].sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const span of spans) {
    if (span.start < at) continue;
    out += text.slice(at, span.start) + span.mask;
    at = span.end;
  }
  return out + text.slice(at);
}
