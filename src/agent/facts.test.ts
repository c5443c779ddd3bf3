// Fact extraction and redaction, table-driven, with the false positives of the original regexes as negatives.
import { describe, expect, it } from 'vitest';
import { extractFacts, redact, redactedExcerpt } from './facts.js';

const values = (text: string, kind: string): string[] =>
  extractFacts(text)
    .filter((f) => f.kind === kind)
    .map((f) => f.value);

describe('extractFacts', () => {
  it.each([
    ['write to jane.doe@example.com please', ['jane.doe@example.com']],
    ['Mail: a+tag@sub.example.co.uk.', ['a+tag@sub.example.co.uk']],
    ['two: x@y.io, Z_9@q.org', ['x@y.io', 'Z_9@q.org']],
    ['not an email: user@localhost or @handle or a|b@c.d', []],
    ['pipe was accepted by the original: x@y.c|m', []],
  ])('emails in %j', (text, expected) => {
    expect(values(text, 'email')).toEqual(expected);
  });

  it.each([
    ['call 555-123-4567', ['555-123-4567']],
    ['call 555.123.4567 now', ['555.123.4567']],
    ['or 5551234567', ['5551234567']],
    ['US +1 (555) 123-4567', ['+1 (555) 123-4567']],
    ['UK +44 20 7946 0958', ['+44 20 7946 0958']],
    ['(555) 123 4567', ['(555) 123 4567']],
    ['UK mobile 07700 900123', ['07700 900123']],
    ['UK landline 020 7946 0958 or +44 (0)20 7946 0958', ['020 7946 0958', '+44 (0)20 7946 0958']],
    ['DE +49 (0) 30 12345678', ['+49 (0) 30 12345678']],
    ['DE national 030 12345678', ['030 12345678']],
    ['FR +33 1 23 45 67 89 or 01 23 45 67 89', ['+33 1 23 45 67 89', '01 23 45 67 89']],
    ['NL +31 6 12345678, ES +34 612 34 56 78', ['+31 6 12345678', '+34 612 34 56 78']],
    ['from abroad 0044 20 7946 0958', ['0044 20 7946 0958']],
    ['link tel:+15551234567 or TEL:+44-20-7946-0958', ['+15551234567', '+44-20-7946-0958']],
    ['US 1-800-555-0199 and +1.555.123.4567', ['1-800-555-0199', '+1.555.123.4567']],
    ['case 07700 900123', ['07700 900123']],
    ['phone:5551234567, Mobile:+44 7700 900123', ['5551234567', '+44 7700 900123']],
    // Negatives: dates, times, short numbers, IPs, cards, order numbers.
    ['on 2024-05-12', []],
    ['on 12/05/2024', []],
    ['at 2024-05-12 10:30:00', []],
    ['on 12-05-2024', []],
    ['I paid 1200 for 3 items', []],
    ['server 192.168.100.200', []],
    ['card 4111 1111 1111 1111', []],
    ['order 1234567890', []],
    ['version 1.2.3', []],
    ['order 07700900123', []],
    ['ticket #12345678 on 2024-05-12', []],
    ['padded id 00012345', []],
    ['from 2024-05-12 to 2024-06-30', []],
    ['logged at 10:30:00.123456789', []],
    ['see http://example.com:8080/a/5551234567', []],
  ])('phones in %j', (text, expected) => {
    expect(values(text, 'phone')).toEqual(expected);
  });

  it.each([
    ['my order #12345 is late', ['12345']],
    ['Order number: A-98765', ['A-98765']],
    ['ticket 42', ['42']],
    ['ref 12345 and confirmation X7Y8Z9', ['12345', 'X7Y8Z9']],
    ['case no. 88-1', ['88-1']],
    ['my order is 5566778', ['5566778']],
    // Negatives: the reference must contain a digit.
    ['an order of magnitude', []],
    ['a ticket to ride', []],
    ['the reference manual', []],
    ['confirmation pending', []],
    ['in order to help', []],
  ])('references in %j', (text, expected) => {
    expect(values(text, 'reference')).toEqual(expected);
  });

  it('labels references and phrases facts for memory, once each', () => {
    const facts = extractFacts(
      'Order #A-1 — again order #A-1, mail me at me@x.io or me@x.io, phone 555-123-4567',
    );
    expect(facts).toEqual([
      { kind: 'email', value: 'me@x.io', text: 'User email: me@x.io' },
      { kind: 'phone', value: '555-123-4567', text: 'User phone: 555-123-4567' },
      { kind: 'reference', value: 'A-1', label: 'order', text: 'Reference number: A-1 (order)' },
    ]);
  });
});

describe('redact', () => {
  it.each([
    ['mail jane@example.com or call +1 (555) 123-4567.', 'mail [email] or call [phone].'],
    ['on 2024-05-12, order #12345', 'on 2024-05-12, order #12345'],
    ['5551234567 and 555-123-4567', '[phone] and [phone]'],
    ['nothing personal', 'nothing personal'],
    ['07700 900123, +49 (0) 30 12345678, tel:+15551234567.', '[phone], [phone], [phone].'],
    ['(555) 123-4567 / +44 20 7946 0958 / +33 1 23 45 67 89', '[phone] / [phone] / [phone]'],
    ['order 1234567890 placed 2024-05-12 10:30:00', 'order 1234567890 placed 2024-05-12 10:30:00'],
    ['case 07700 900123', 'case [phone]'],
  ])('%j', (text, expected) => {
    expect(redact(text)).toBe(expected);
  });
});

describe('redactedExcerpt', () => {
  it('redacts before cutting, so a cut never leaves part of an email or phone', () => {
    const text = `${'x '.repeat(93)}jane.doe@example.com and 07700 900123`;
    expect(redactedExcerpt(text, 200)).toBe(`${'x '.repeat(93)}[email] and [p`);
    expect(redactedExcerpt('call 07700 900123', 12)).toBe('call [phone]');
  });
});
