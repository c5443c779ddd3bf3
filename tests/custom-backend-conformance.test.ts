// The example backend in examples/custom-backend.ts passes the same suite as the built-in stores.
import { describe, it } from 'vitest';
import { MapSessionStore } from '../examples/custom-backend.js';
import { describeSessionStoreConformance } from '../src/testing/index.js';

describeSessionStoreConformance(
  'MapSessionStore (examples/custom-backend.ts)',
  ({ now, options }) => new MapSessionStore({ ...options, now }),
  {
    clock: 'manual',
    describe,
    it,
  },
);
