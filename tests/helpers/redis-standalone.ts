// Standalone servers: through redis-memory-server (`startRedis`), or spawned directly so that a test can
// SIGKILL one and restart it on the same port and dir (`startRedisProcess`). Both return the same handle.
import { type ChildProcess, spawn } from 'node:child_process';
import { RedisMemoryServer } from 'redis-memory-server';
import { redisBinaries } from './redis-binaries.js';
import { freePort } from './redis-ports.js';
import {
  captureOutput,
  GRACEFUL_STOP_MS,
  HOST,
  isRunning,
  makeTempDir,
  NotComing,
  type RedisServerHandle,
  removeTempDir,
  STANDALONE_START_MS,
  track,
  waitForExit,
  waitUntil,
  withTimeout,
} from './redis-process.js';
import { pingOk } from './redis-resp.js';

/**
 * A standalone server started by redis-memory-server on the `redis-server` found on the PATH (or named
 * by REDIS_SERVER_BIN; redis-memory-server's own download is never used). RDB and AOF are off unless `args` turn them on; `dir` is a fresh temp dir.
 */
export async function startRedis(options?: { args?: string[] }): Promise<RedisServerHandle> {
  const dir = makeTempDir('redis');
  const args = ['--dir', dir, ...(options?.args ?? [])];
  let port = 0;
  let server: RedisMemoryServer;
  try {
    port = await freePort();
    // One RedisMemoryServer for the handle's whole life: after its stop() it remembers the port and
    // start() reuses it directly. A new instance would ask get-port, which refuses ports it handed out
    // in the last 15 s and silently picks another one.
    server = new RedisMemoryServer({
      instance: { ip: HOST, port, args },
      binary: { systemBinary: redisBinaries().server },
    });
  } catch (error) {
    removeTempDir(dir);
    throw error;
  }

  return processHandle({
    port,
    dir,
    ownsDir: true,
    async launch(adopt) {
      await withTimeout(server.start(), STANDALONE_START_MS).catch((error: unknown) => {
        throw new Error(`redis-memory-server did not start on port ${port}: ${String(error)}`);
      });
      const info = server.getInstanceInfo();
      if (info === false || info.childProcess === undefined) {
        throw new Error('redis-memory-server reported no running instance after start');
      }
      adopt(info.childProcess);
      if (info.port !== port) {
        throw new Error(`redis-memory-server started on port ${info.port} instead of ${port}`);
      }
      await waitUntil(`redis-server on port ${port}`, STANDALONE_START_MS, () => pingOk(port));
    },
    // Lets redis-memory-server end its watchdog process and remember the port for a restart; also ends
    // a server whose start failed before we got hold of its process. Bounded, because its stop() waits
    // for a start() that may never have settled. A no-op when nothing runs.
    afterHalt: () =>
      withTimeout(server.stop(), GRACEFUL_STOP_MS).then(
        () => {},
        () => {},
      ),
  });
}

/** How a standalone handle starts its process and cleans up after it. */
interface ProcessSpec {
  port: number;
  dir: string;
  /** Remove `dir` on stop (and when the first start fails). */
  ownsDir: boolean;
  /** Starts the server and waits until it is healthy; calls `adopt` as soon as the process exists. */
  launch(adopt: (child: ChildProcess) => void): Promise<void>;
  /** Runs after every halt, whether or not a process was running. */
  afterHalt?: () => Promise<void>;
  /** Runs before a restart's launch. */
  beforeRestart?: () => void;
}

/**
 * The handle both standalone starters return: it owns the child process, its pause state, and
 * stop/kill/restart/pause/resume. A start that fails kills what it started.
 */
async function processHandle(spec: ProcessSpec): Promise<RedisServerHandle> {
  const { port, dir, ownsDir } = spec;
  let child: ChildProcess | undefined;
  let paused = false;
  let stopped: Promise<void> | undefined;

  const launch = () =>
    spec.launch((next) => {
      track(next);
      child = next;
      paused = false;
    });

  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    const current = child;
    if (current !== undefined && isRunning(current)) {
      current.kill(signal);
      if (paused) current.kill('SIGCONT');
      paused = false;
      await waitForExit(current, GRACEFUL_STOP_MS);
    }
    await spec.afterHalt?.();
    child = undefined;
  };

  try {
    await launch();
  } catch (error) {
    await halt('SIGKILL');
    if (ownsDir) removeTempDir(dir);
    throw error;
  }

  return {
    host: HOST,
    port,
    url: `redis://${HOST}:${port}`,
    dir,
    stop() {
      stopped ??= (async () => {
        await halt('SIGTERM');
        if (ownsDir) removeTempDir(dir);
      })();
      return stopped;
    },
    kill: (signal = 'SIGTERM') => halt(signal),
    async restart() {
      if (stopped !== undefined)
        throw new Error(`redis on port ${port} was stopped; restart() is not possible`);
      await halt('SIGTERM');
      spec.beforeRestart?.();
      try {
        await launch();
      } catch (error) {
        await halt('SIGKILL');
        throw error;
      }
    },
    pause() {
      if (child !== undefined && isRunning(child)) {
        child.kill('SIGSTOP');
        paused = true;
      }
    },
    resume() {
      if (child !== undefined && isRunning(child)) child.kill('SIGCONT');
      paused = false;
    },
  };
}

export interface RedisProcessOptions {
  /** Port to listen on. Default: `freePort()`. */
  port?: number;
  /** Working dir; a caller-provided dir is never removed. Default: a fresh temp dir, removed on stop. */
  dir?: string;
  /** Extra redis-server arguments, applied after the defaults so they win (`--appendonly yes`, …). */
  args?: string[];
  /** Run as a Sentinel (`--sentinel`) with this config file instead of a plain server. */
  sentinelConfig?: string;
  /** How long to wait for PING to answer, in milliseconds. Default 20000. */
  startTimeoutMs?: number;
}

/**
 * A redis-server spawned directly, so that a test can SIGKILL it and restart it on the same port and
 * dir. Listens on 127.0.0.1 only; RDB snapshots are off (`--save ''`) unless `args` contain `--save`.
 */
export async function startRedisProcess(options?: RedisProcessOptions): Promise<RedisServerHandle> {
  const port = options?.port ?? (await freePort());
  const ownsDir = options?.dir === undefined;
  const dir = options?.dir ?? makeTempDir('redis');
  const extra = options?.args ?? [];
  const startTimeoutMs = options?.startTimeoutMs ?? STANDALONE_START_MS;
  const defaults = ['--port', String(port), '--bind', HOST, '--dir', dir, '--daemonize', 'no'];
  if (!extra.includes('--save')) defaults.push('--save', '');
  const argv = options?.sentinelConfig === undefined ? [] : [options.sentinelConfig, '--sentinel'];
  argv.push(...defaults, ...extra);

  const output: string[] = [];

  return processHandle({
    port,
    dir,
    ownsDir,
    async launch(adopt) {
      const next = spawn(redisBinaries().server, argv, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      adopt(next);
      captureOutput(next, output);
      await waitUntil(
        `redis-server on port ${port}`,
        startTimeoutMs,
        async () => {
          if (!isRunning(next)) throw new NotComing(`process exited (${next.exitCode ?? next.signalCode})`);
          return pingOk(port);
        },
        () => output.join('\n'),
      );
    },
    beforeRestart: () => {
      output.length = 0;
    },
  });
}
