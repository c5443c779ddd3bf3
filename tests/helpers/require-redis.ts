// vitest globalSetup: checks for the Redis binaries before any test file is loaded, so that a machine
// without them fails the run at once with one message instead of one timeout per suite.
import { findRedisBinaries, missingRedisMessage } from './redis-binaries.js';

export default function requireRedisBinaries(): void {
  const { problems } = findRedisBinaries();
  if (problems.length === 0) return;
  // Exit rather than throw: a throw here makes vitest add "No test files found" and an "Unhandled Error"
  // banner around the message, and neither is true of the problem.
  process.stderr.write(`\n${missingRedisMessage(problems)}\n\n`);
  process.exit(1);
}
