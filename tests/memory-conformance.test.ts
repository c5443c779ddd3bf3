import { describe, it } from 'vitest';
import { InMemorySessionStore } from '../src/index.js';
import { describeSessionStoreConformance } from '../src/testing/index.js';
import { appendRawItems } from './helpers/raw-history.js';

describeSessionStoreConformance(
  'InMemorySessionStore',
  ({ now, options }) => new InMemorySessionStore({ ...options, now }),
  {
    clock: 'manual',
    describe,
    it,
    history: { appendRawItems },
  },
);
