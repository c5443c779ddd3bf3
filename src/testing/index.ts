// `agent-session-store/testing`: the conformance suite for SessionStore backends.
export type { ConformanceContext, ConformanceOptions, StoreFactory } from './conformance.js';
export {
  describeSessionStoreConformance,
  EXACT_METADATA_VALUES,
  INVALID_IDS,
  VALID_IDS,
} from './conformance.js';
export type { HistoryConformanceOptions, HistoryHarness, HistoryTest } from './history.js';
export { describeHistoryConformance } from './history.js';
