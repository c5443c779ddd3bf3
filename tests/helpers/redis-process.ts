// Child-process bookkeeping for the Redis test harness: every server process and temp dir started here is
// tracked so that nothing outlives the test process, and readiness is polled, never slept for.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const HOST = '127.0.0.1' as const;

/** Time allowed for one standalone server to answer PING, in milliseconds. */
export const STANDALONE_START_MS = 20_000;
/** Time allowed for a graceful shutdown before SIGKILL, in milliseconds. */
export const GRACEFUL_STOP_MS = 10_000;
/** Time allowed for a whole Cluster or Sentinel group to become ready, in milliseconds. */
export const GROUP_START_MS = 45_000;
/** Interval between health probes, in milliseconds. */
const POLL_MS = 50;

export interface RedisServerHandle {
  host: '127.0.0.1';
  port: number;
  /** `redis://127.0.0.1:PORT` */
  url: string;
  /** Working directory of the server: RDB and AOF files live here. */
  dir: string;
  /** Graceful shutdown (SIGTERM, SIGKILL after 10 s), then removes `dir` if the helper created it.
   * Final: `restart()` afterwards throws. Idempotent. */
  stop(): Promise<void>;
  /** Sends `signal` (default SIGTERM) and resolves once the process has exited. Keeps `dir`, so
   * `restart()` can bring the same data back. A paused server is resumed so that it can exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the server again on the same port and dir (after stopping it if it still runs) and waits
   * until it answers PING. */
  restart(): Promise<void>;
  /** SIGSTOP: the server keeps its sockets but answers nothing until `resume()`. */
  pause(): void;
  /** SIGCONT */
  resume(): void;
}

// Process and temp-dir bookkeeping. Two layers: an 'exit' handler for a normal exit, and a watchdog
// process for when this process dies without running it (test runners end workers with signals).

interface Registry {
  processes: Set<ChildProcess>;
  dirs: Set<string>;
  watchdog: ChildProcess | undefined;
}

// Kept on globalThis: a runner that evaluates this module once per test file in the same process must
// still end up with one registry, one exit hook and one watchdog.
const REGISTRY_KEY = Symbol.for('agent-session-store/tests/redis-servers');
const globalSlot = globalThis as { [REGISTRY_KEY]?: Registry };
const firstLoad = globalSlot[REGISTRY_KEY] === undefined;
if (firstLoad) globalSlot[REGISTRY_KEY] = { processes: new Set(), dirs: new Set(), watchdog: undefined };
const registry = globalSlot[REGISTRY_KEY]!;
const liveProcesses = registry.processes;
const liveDirs = registry.dirs;

/**
 * Source of the watchdog: it reads `+pid` / `-pid` / `d<dir>` / `r<dir>` lines on stdin and, once stdin
 * closes (this process is gone, however it ended), SIGKILLs every pid still registered and removes
 * every dir still registered.
 */
const WATCHDOG_SOURCE = `
const fs = require('node:fs');
const pids = new Set();
const dirs = new Set();
let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  pending += chunk;
  let newline;
  while ((newline = pending.indexOf('\\n')) >= 0) {
    const line = pending.slice(0, newline);
    pending = pending.slice(newline + 1);
    const op = line[0];
    const arg = line.slice(1);
    if (op === '+') pids.add(Number(arg));
    else if (op === '-') pids.delete(Number(arg));
    else if (op === 'd') dirs.add(arg);
    else if (op === 'r') dirs.delete(arg);
  }
});
const sweep = () => {
  for (const pid of pids) { try { process.kill(pid, 'SIGKILL'); } catch {} }
  for (const dir of dirs) { try { fs.rmSync(dir, { recursive: true, force: true }); } catch {} }
  process.exit(0);
};
process.stdin.on('end', sweep);
process.stdin.on('error', sweep);
`;

function tellWatchdog(line: string): void {
  let watchdog = registry.watchdog;
  if (watchdog === undefined) {
    const { NODE_OPTIONS: _ignored, ...env } = process.env;
    // Detached: a Ctrl-C sent to the whole process group must not end the watchdog before it sweeps.
    watchdog = spawn(process.execPath, ['-e', WATCHDOG_SOURCE], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
      env,
    });
    watchdog.stdin?.on('error', () => {});
    // Neither the watchdog nor its pipe may keep this process alive.
    watchdog.unref();
    (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    registry.watchdog = watchdog;
  }
  watchdog.stdin?.write(`${line}\n`);
}

function sweepAtExit(): void {
  for (const child of liveProcesses) {
    try {
      child.kill('SIGKILL');
    } catch {
      // Already gone: nothing to do.
    }
  }
  for (const dir of liveDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Best effort at exit; the watchdog tries again.
    }
  }
}

if (firstLoad) process.on('exit', sweepAtExit);

/** Pids of the server processes started here that are still running: 0 entries once all stopped. */
export function runningServerPids(): number[] {
  return [...liveProcesses].flatMap((child) => (child.pid === undefined ? [] : [child.pid]));
}

export function track(child: ChildProcess): void {
  if (child.pid === undefined) return;
  const pid = child.pid;
  liveProcesses.add(child);
  tellWatchdog(`+${pid}`);
  child.once('exit', () => {
    liveProcesses.delete(child);
    tellWatchdog(`-${pid}`);
  });
}

export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `ass-${prefix}-`));
  liveDirs.add(dir);
  tellWatchdog(`d${dir}`);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  liveDirs.delete(dir);
  tellWatchdog(`r${dir}`);
}

export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Resolves once `child` has exited; sends SIGKILL if it is still alive after `graceMs`. */
export function waitForExit(child: ChildProcess, graceMs: number): Promise<void> {
  if (!isRunning(child)) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }, graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Rejects when `promise` has not settled within `ms` milliseconds. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Thrown by a probe when waiting longer cannot help (the process died): `waitUntil` stops at once. */
export class NotComing extends Error {}

/**
 * Polls `probe` every 50 ms until it returns true or `timeoutMs` passes; then throws an error naming
 * `what`, the last failure seen and `context()`, so a start that never becomes ready says why. A probe
 * that throws counts as "not yet"; the probe itself must be bounded (e.g. `redisCommand`'s timeout).
 */
export async function waitUntil(
  what: string,
  timeoutMs: number,
  probe: () => Promise<boolean>,
  context?: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'probe returned false';
  for (;;) {
    try {
      if (await probe()) return;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
      if (error instanceof NotComing) {
        const extra = context?.() ?? '';
        throw new Error(`${what} did not start: ${last}${extra ? `\n${extra}` : ''}`);
      }
    }
    if (Date.now() >= deadline) {
      const extra = context?.() ?? '';
      throw new Error(
        `${what} did not become ready within ${timeoutMs} ms (last: ${last})${extra ? `\n${extra}` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Keeps the last lines a process printed, to explain a failed start. */
export function captureOutput(child: ChildProcess, lines: string[], max = 40): void {
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      lines.push(line);
      if (lines.length > max) lines.shift();
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
}

/** Stops every handle, never throwing, so a cleanup path always runs to the end. */
export async function stopAll(handles: Iterable<RedisServerHandle>): Promise<void> {
  await Promise.all([...handles].map((handle) => handle.stop().catch(() => {})));
}

/** Starts `count` servers in parallel; if any fails, stops the others and rethrows the first failure. */
export async function startMany(count: number, start: (index: number) => Promise<RedisServerHandle>) {
  const settled = await Promise.allSettled(Array.from({ length: count }, (_, index) => start(index)));
  const started = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed !== undefined) {
    await stopAll(started);
    throw failed.reason;
  }
  return started;
}
