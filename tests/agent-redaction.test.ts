// Personal data never leaves the agent: an email or a phone number placed at any offset of a long message
// (around the 200-character log excerpt and the 500-character ticket summary) leaves no fragment in any
// logger call, ticket summary or `metadata.toolErrors` entry.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TicketRequest } from '../src/agent/tools.js';
import { CustomerSupportAgent, InMemorySessionStore, type Logger } from '../src/index.js';

const EMAILS = ['jane.doe@example.com', 'q.zhou+support@post.shop-xyz.co.uk', 'marta_kowalsky@firma.de'];
const PHONES = [
  '07700 900123',
  '+49 (0) 30 12345678',
  'tel:+15551234567',
  '(555) 123-4567',
  '+44 20 7946 0958',
  '+33 1 23 45 67 89',
  '555-987-6543',
];
const CUTS = [200, 500];
// Words without digits and without 4-letter runs of the samples above, so a fragment found is a leak.
const WORDS = [
  'please',
  'help',
  'my',
  'parcel',
  'is',
  'late',
  'can',
  'you',
  'check',
  'it',
  'again',
  'thanks',
];

/** Every run of 4 characters of the email's local part and domain, or of the phone number's digits. */
function fragments(pii: string): string[] {
  const parts = pii.includes('@') ? pii.toLowerCase().split('@') : [pii.replace(/\D/g, '')];
  const out: string[] = [];
  for (const part of parts) for (let i = 0; i + 4 <= part.length; i += 1) out.push(part.slice(i, i + 4));
  return out;
}

/** `text` as searched: lower case, with separators between digits removed (`12 34` → `1234`). */
function searchable(text: string): string {
  return text.toLowerCase().replace(/(?<=\d)[\s().+-]+(?=\d)/g, '');
}

/** One agent whose every outlet is recorded: logger calls, ticket summaries, tool errors. */
function outlets() {
  const out: string[] = [];
  const log =
    (level: string) =>
    (...args: unknown[]): void => {
      out.push(`${level} ${JSON.stringify(args)}`);
    };
  const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
  let tickets = 0;
  const agent = new CustomerSupportAgent({
    store: new InMemorySessionStore(),
    logger,
    retry: { maxAttempts: 1 },
    // The breaker stays closed, so every turn's tool error echoes the message (an open breaker's does not).
    circuitBreaker: { failureThreshold: 1_000_000 },
    tools: {
      // Echoes the whole message in its error, as real search backends do with the query.
      knowledgeBase: {
        search: async (query: string) => {
          throw new Error(`index unavailable for query: ${query}`);
        },
      },
      // Every turn escalates, so every turn sends a ticket summary.
      escalation: {
        shouldEscalate: async () => ({ escalate: true, reasons: ['test'], confidence: 1 }),
        createTicket: async (request: TicketRequest) => {
          // The idempotency key is a random UUID of the library's own: its digits are not the message's.
          out.push(`ticket ${JSON.stringify({ ...request, idempotencyKey: 'key' })}`);
          tickets += 1;
          return { ticketId: `TK-${'abcdefghij'[tickets % 10]}` };
        },
      },
    },
  });
  let sessions = 0;
  const turn = async (message: string): Promise<void> => {
    sessions += 1;
    // Letters only: a session id with digits could look like part of a phone number.
    const sessionId = `s-${sessions.toString(26).replace(/\d/g, (d) => 'qrstuvwxyz'[Number(d)] ?? '')}`;
    const response = await agent.processMessage({ sessionId, message, requestId: 'req' });
    expect(response.requiresEscalation).toBe(true);
    out.push(`toolErrors ${JSON.stringify(response.metadata.toolErrors)}`);
  };
  return { out, turn, agent };
}

function leaked(out: string[], pii: string): string[] {
  const text = searchable(out.join('\n'));
  return fragments(pii).filter((f) => text.includes(f));
}

function filler(length: number): string {
  let text = '';
  for (let i = 0; text.length < length; i += 1) text += `${WORDS[(i * 7) % WORDS.length]} `;
  return text.slice(0, length);
}

describe('no personal data reaches the logger, ticket summaries or toolErrors', () => {
  it('the samples and the filler are such that a leak would be seen', async () => {
    const { out, turn } = outlets();
    await turn(filler(600));
    for (const pii of [...EMAILS, ...PHONES]) expect(leaked(out, pii)).toEqual([]);
    // The same outlets, fed an unredacted sample, do show it.
    expect(leaked([`x ${'jane.doe@exam'}`], EMAILS[0] as string)).not.toEqual([]);
    expect(leaked(['x 07700 9'], PHONES[0] as string)).not.toEqual([]);
  });

  it('an email or a phone at every offset that straddles the 200- and 500-character cuts', async () => {
    const { out, turn, agent } = outlets();
    const text = filler(620);
    // The log excerpt is 200 characters, the ticket summary 500; a sample is at most 40 characters long.
    const offsets = [...CUTS.flatMap((cut) => Array.from({ length: 50 }, (_, i) => cut - 45 + i))];
    for (const pii of [...EMAILS, ...PHONES]) {
      out.length = 0;
      for (const at of offsets) {
        await turn(`${text.slice(0, at)} ${pii} ${text.slice(at)}`);
      }
      expect({ pii, leaked: leaked(out, pii) }).toEqual({ pii, leaked: [] });
    }
    await agent.close();
  }, 60_000);

  it('holds for random messages around the cut lengths (property)', async () => {
    const { out, turn, agent } = outlets();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...WORDS), { minLength: 20, maxLength: 110 }),
        fc.constantFrom(...EMAILS, ...PHONES),
        fc.nat(),
        fc.constantFrom(' ', ', ', ': ', ' (', '\n', ' phone:', ' mail:'),
        async (words, pii, offset, before) => {
          out.length = 0;
          const text = words.join(' ');
          const at = offset % (text.length + 1);
          await turn(`${text.slice(0, at)}${before}${pii}. ${text.slice(at)}`);
          expect(leaked(out, pii)).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
    await agent.close();
  }, 60_000);
});
