// The conformance groups, in the order they run. To add a group: write it in its own file with
// `defineConformanceGroup(key, title, define)` and append it here; its key then becomes a switch in
// `ConformanceOptions.groups` and a name `describeConformanceGroup` accepts.
import { beginTurnGroup } from './beginTurn.js';
import { closeGroup } from './close.js';
import { countersGroup } from './counters.js';
import { expiryGroup } from './expiry.js';
import { getAndSetGroup } from './getAndSet.js';
import { getOrCreateGroup } from './getOrCreate.js';
import { idsGroup } from './ids.js';
import { listingGroup } from './listing.js';
import { metadataGroup } from './metadata.js';
import { touchAndDeleteGroup } from './touchAndDelete.js';
import { updateGroup } from './update.js';
import { versionGroup } from './version.js';

export const CONFORMANCE_GROUPS = [
  getAndSetGroup,
  getOrCreateGroup,
  updateGroup,
  countersGroup,
  versionGroup,
  touchAndDeleteGroup,
  expiryGroup,
  listingGroup,
  closeGroup,
  idsGroup,
  metadataGroup,
  beginTurnGroup,
] as const;

/** The key of one built-in group: `'getAndSet' | 'getOrCreate' | 'update' | …`. */
export type ConformanceGroupKey = (typeof CONFORMANCE_GROUPS)[number]['key'];
