// `npm run bench` runs every benchmark; `npm run bench -- memory`, `-- redis` or `-- history` runs one part.
import { runHistoryBench } from './history.js';
import { describeMachine } from './lib.js';
import { runMemoryBench } from './memory.js';
import { runRedisBench } from './redis.js';

const PARTS = ['memory', 'redis', 'history'] as const;
type Part = (typeof PARTS)[number];

function selectedParts(argv: string[]): Part[] {
  const asked = argv.filter((a) => a !== '--');
  if (asked.length === 0) return [...PARTS];
  for (const a of asked) {
    if (!(PARTS as readonly string[]).includes(a)) {
      throw new Error(`unknown benchmark part ${JSON.stringify(a)}; expected one of: ${PARTS.join(', ')}`);
    }
  }
  return asked as Part[];
}

async function main(): Promise<void> {
  const parts = selectedParts(process.argv.slice(2));
  console.log(`agent-session-store benchmarks (${parts.join(', ')})`);
  console.log(describeMachine());
  const started = performance.now();
  // Budgets keep a full run under about four minutes on two cores.
  if (parts.includes('memory')) await runMemoryBench({ timeMs: 400, warmupMs: 150, rounds: 4 });
  if (parts.includes('redis')) await runRedisBench({ timeMs: 300, warmupMs: 100, rounds: 5 });
  if (parts.includes('history')) await runHistoryBench({ timeMs: 300, warmupMs: 100, rounds: 5 });
  console.log(`\nTotal ${((performance.now() - started) / 1000).toFixed(1)} s; ${describeMachine()}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
