// `agent-session-store/testing`: the conformance suite for SessionStore backends, whole or by group.
export type { ConformanceOptions } from './conformance.js';
export { describeConformanceGroup, describeSessionStoreConformance } from './conformance.js';
export type { ConformanceGroupKey } from './groups.js';
export { CONFORMANCE_GROUPS } from './groups.js';
export type {
  ConformanceContext,
  ConformanceGroup,
  GroupContext,
  Harness,
  HarnessOptions,
  StoreFactory,
  TestFn,
} from './harness.js';
export { defineConformanceGroup } from './harness.js';
export type { HistoryConformanceOptions } from './history.js';
export type { Must } from './must.js';
export { must, rejectsWith } from './must.js';
export { EXACT_METADATA_VALUES, INVALID_IDS, VALID_IDS } from './values.js';
