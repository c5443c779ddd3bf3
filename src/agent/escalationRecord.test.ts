// The escalation record: its writes read back, and no other agent module spells its metadata keys.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InMemorySessionStore } from '../memory/InMemorySessionStore.js';
import {
  claimPatch,
  ESCALATION_KEYS,
  failureMessageOf,
  readClaim,
  releasePatch,
  reusableClaimId,
  storedReasons,
  ticketIdOf,
  ticketPatch,
} from './escalationRecord.js';

describe('escalationRecord', () => {
  it('reads back what its patches write', async () => {
    const store = new InMemorySessionStore();
    await store.getOrCreate('r');
    const claim = { id: 'c-1', at: 1_000 };
    const claimed = (await store.update('r', claimPatch(claim)))!;
    expect(readClaim(claimed)).toEqual(claim);
    expect(reusableClaimId(claimed)).toBe('c-1');
    const released = (await store.update('r', releasePatch(claim, 'x'.repeat(600), 2_000)))!;
    expect(released.escalated).toBe(false);
    expect(readClaim(released)).toBeUndefined();
    expect(failureMessageOf(released)).toHaveLength(500);
    expect(reusableClaimId(released)).toBe('c-1');
    const ticketed = (await store.update('r', ticketPatch('T-9', ['legal'], 3_000)))!;
    expect(ticketIdOf(ticketed)).toBe('T-9');
    expect(storedReasons(ticketed)).toEqual(['legal']);
    expect(ticketed.metadata[ESCALATION_KEYS.escalatedAt]).toBe(new Date(3_000).toISOString());
  });

  it('is the only agent module that names the metadata keys', () => {
    const root = dirname(fileURLToPath(import.meta.url));
    const sources = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter(
      (file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && file !== 'escalationRecord.ts',
    );
    expect(sources.length).toBeGreaterThan(10);
    const offenders = sources.filter((file) => {
      const text = readFileSync(join(root, file), 'utf8');
      // A key as a string, or read off `metadata` (response fields of the same name are not the record).
      return Object.values(ESCALATION_KEYS).some(
        (key) => text.includes(`'${key}'`) || text.includes(`metadata.${key}`),
      );
    });
    expect(offenders).toEqual([]);
  });
});
