// `npm run bench` runs every benchmark; `npm run bench -- memory`, `-- redis`, `-- history`, `-- network`,
// `-- clients` or `-- durability` runs one part. The network part's delay per direction: `npm run bench -- network
// --delay-ms=2` (or the BENCH_DELAY_MS variable), 1 ms by default.

import { runClientsBench } from './clients.js';
import { runDurabilityBench } from './durability.js';
import { runHistoryBench } from './history.js';
import { describeMachine } from './lib.js';
import { runMemoryBench } from './memory.js';
import { runNetworkBench } from './network.js';
import { runRedisBench } from './redis.js';

const PARTS = ['memory', 'redis', 'history', 'network', 'clients', 'durability'] as const;
type Part = (typeof PARTS)[number];

interface Selection {
  parts: Part[];
  delayMs: number;
}

function parseDelay(text: string, source: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) {
    throw new Error(`${source} must be a number of milliseconds ≥ 0, got ${JSON.stringify(text)}`);
  }
  return value;
}

function parseArgs(argv: string[]): Selection {
  let delayMs =
    process.env.BENCH_DELAY_MS === undefined ? 1 : parseDelay(process.env.BENCH_DELAY_MS, 'BENCH_DELAY_MS');
  const asked: Part[] = [];
  for (const a of argv) {
    if (a === '--') continue;
    if (a.startsWith('--delay-ms=')) {
      delayMs = parseDelay(a.slice('--delay-ms='.length), '--delay-ms');
      continue;
    }
    if (!(PARTS as readonly string[]).includes(a)) {
      throw new Error(
        `unknown benchmark argument ${JSON.stringify(a)}; expected parts (${PARTS.join(', ')}) or --delay-ms=<ms>`,
      );
    }
    asked.push(a as Part);
  }
  return { parts: asked.length === 0 ? [...PARTS] : asked, delayMs };
}

async function main(): Promise<void> {
  const { parts, delayMs } = parseArgs(process.argv.slice(2));
  const calls = Number(process.env.BENCH_NET_CALLS ?? 600);
  if (!Number.isInteger(calls) || calls < 10) {
    throw new Error(`BENCH_NET_CALLS must be an integer ≥ 10, got ${process.env.BENCH_NET_CALLS}`);
  }
  console.log(`agent-session-store benchmarks (${parts.join(', ')})`);
  console.log(describeMachine());
  const started = performance.now();
  // Budgets keep a full run under about four minutes on two cores.
  if (parts.includes('memory')) await runMemoryBench({ timeMs: 400, warmupMs: 150, rounds: 4 });
  if (parts.includes('redis')) await runRedisBench({ timeMs: 300, warmupMs: 100, rounds: 5 });
  if (parts.includes('history')) await runHistoryBench({ timeMs: 300, warmupMs: 100, rounds: 5 });
  if (parts.includes('network')) await runNetworkBench({ delayMs, calls });
  if (parts.includes('clients')) await runClientsBench();
  if (parts.includes('durability')) await runDurabilityBench();
  console.log(`\nTotal ${((performance.now() - started) / 1000).toFixed(1)} s; ${describeMachine()}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
