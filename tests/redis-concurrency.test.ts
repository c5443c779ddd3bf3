// No lost updates across processes: four Node processes, each with its own RedisSessionStore, write one
// session at once (increments, distinct metadata keys) and race getOrCreate on shared ids.
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisSessionStore } from '../src/index.js';
import type { RedisServerHandle } from './helpers/redis-process.js';
import { startRedis } from './helpers/redis-standalone.js';

const WORKERS = 4;
let server: RedisServerHandle;
const children: ChildProcess[] = [];

beforeAll(async () => {
  server = await startRedis();
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await server?.stop();
});

it('4 processes: 1200 increments, 1200 metadata keys, one creator per shared id', async () => {
  const keyPrefix = 'race:';
  const store = new RedisSessionStore({ url: server.url, keyPrefix });
  try {
    await store.set('shared', {});
    const worker = path.resolve(import.meta.dirname, 'redis-concurrency-worker.ts');
    const results: Promise<{ ok: boolean; created?: string[]; error?: string }>[] = [];
    const ready: Promise<void>[] = [];
    for (let i = 0; i < WORKERS; i++) {
      const child = fork(worker, [server.url, keyPrefix, String(i)], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.push(child);
      ready.push(
        new Promise((resolve, reject) => {
          child.once('message', (m) => (m === 'ready' ? resolve() : reject(new Error(String(m)))));
          child.once('exit', (code) => reject(new Error(`worker ${i} exited early (${code})`)));
        }),
      );
      results.push(
        new Promise((resolve, reject) => {
          child.on('message', (m) => {
            if (typeof m === 'object' && m !== null) resolve(m as { ok: boolean; created?: string[] });
          });
          child.once('exit', (code) => reject(new Error(`worker ${i} exited (${code}) without a result`)));
        }),
      );
    }
    await Promise.all(ready);
    for (const child of children) child.send('go');
    const outcomes = await Promise.all(results);
    for (const outcome of outcomes) expect(outcome.error).toBeUndefined();

    const session = await store.get('shared', { touch: false });
    expect(session?.metadata.hits).toBe(WORKERS * 300);
    const keys = Object.keys(session?.metadata ?? {}).filter((k) => k !== 'hits');
    expect(keys).toHaveLength(WORKERS * 300);
    for (let w = 0; w < WORKERS; w++) {
      for (let i = 0; i < 300; i++) expect(session?.metadata[`w${w}-${i}`]).toBe(i);
    }
    // set + 600 writes per worker, each a version step.
    expect(session?.version).toBe(1 + WORKERS * 600);

    const creators = outcomes.flatMap((o) => o.created ?? []);
    expect(creators.sort()).toEqual(Array.from({ length: 20 }, (_, g) => `g${g}`).sort());
    for (let g = 0; g < 20; g++) {
      const stored = await store.get(`g${g}`, { touch: false });
      expect(stored?.userId).toMatch(/^worker-\d$/);
    }
  } finally {
    await store.close();
  }
}, 60_000);
