// Starts real Redis servers for integration and fault tests: standalone (redis-memory-server or a
// directly spawned redis-server), Cluster and Sentinel. Readiness is polled, never slept for, and every
// process started here is tracked so that nothing outlives the test process.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { RedisMemoryServer } from 'redis-memory-server';

const REDIS_SERVER = '/usr/bin/redis-server';
const REDIS_CLI = '/usr/bin/redis-cli';
const HOST = '127.0.0.1' as const;

/** Time allowed for one standalone server to answer PING, in milliseconds. */
const STANDALONE_START_MS = 20_000;
/** Time allowed for a graceful shutdown before SIGKILL, in milliseconds. */
const GRACEFUL_STOP_MS = 10_000;
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

// ---------------------------------------------------------------------------------------------
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

function track(child: ChildProcess): void {
  if (child.pid === undefined) return;
  const pid = child.pid;
  liveProcesses.add(child);
  tellWatchdog(`+${pid}`);
  child.once('exit', () => {
    liveProcesses.delete(child);
    tellWatchdog(`-${pid}`);
  });
}

function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `ass-${prefix}-`));
  liveDirs.add(dir);
  tellWatchdog(`d${dir}`);
  return dir;
}

function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  liveDirs.delete(dir);
  tellWatchdog(`r${dir}`);
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Resolves once `child` has exited; sends SIGKILL if it is still alive after `graceMs`. */
function waitForExit(child: ChildProcess, graceMs: number): Promise<void> {
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
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------------------------------------
// Ports

/** Ports handed out by this process, so that two callers never get the same one. */
const reservedPorts = new Set<number>();

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: HOST, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * A free loopback port below 55000 whose port+10000 (the Cluster bus port) is free as well. Picked at
 * random from 15000–22767 so that port+10000 stays below the kernel's ephemeral range (32768+), where
 * outgoing client connections could take it, and so that parallel test workers rarely collide.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = 15_000 + Math.floor(Math.random() * 7_768);
    if (reservedPorts.has(port)) continue;
    if ((await canListen(port)) && (await canListen(port + 10_000))) {
      reservedPorts.add(port);
      return port;
    }
  }
  throw new Error('freePort: no free loopback port pair (port, port+10000) found in 200 attempts');
}

// ---------------------------------------------------------------------------------------------
// Talking to servers

/** A decoded RESP2 reply; an error reply only appears nested in an array (top-level ones reject). */
export type RedisReply = string | number | null | Error | RedisReply[];
type Reply = RedisReply;

/** Parses one RESP2 reply from `buf` at `at`; undefined while the reply is still incomplete. */
function parseReply(buf: Buffer, at: number): { value: Reply; next: number } | undefined {
  const lineEnd = buf.indexOf('\r\n', at);
  if (lineEnd === -1) return undefined;
  const type = String.fromCharCode(buf[at] ?? 0);
  const line = buf.toString('utf8', at + 1, lineEnd);
  const afterLine = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, next: afterLine };
    case '-':
      return { value: new Error(line), next: afterLine };
    case ':':
      return { value: Number(line), next: afterLine };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, next: afterLine };
      if (buf.length < afterLine + length + 2) return undefined;
      return { value: buf.toString('utf8', afterLine, afterLine + length), next: afterLine + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next: afterLine };
      const items: Reply[] = [];
      let next = afterLine;
      for (let i = 0; i < count; i += 1) {
        const item = parseReply(buf, next);
        if (item === undefined) return undefined;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new Error(`unexpected RESP type byte ${JSON.stringify(type)}`);
  }
}

/**
 * Runs one command against 127.0.0.1:port on a fresh RESP2 connection and closes it; an error reply
 * rejects. Rejects as well when no full reply arrives within `timeoutMs` (connect included), so it
 * doubles as a health probe that a paused server fails. A raw socket rather than ioredis keeps the
 * probe free of handshakes (HELLO, CLIENT SETINFO) and of reconnect logic.
 */
export function redisCommand(port: number, args: (string | number)[], timeoutMs = 1_000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: HOST, port });
    let received = Buffer.alloc(0);
    const finish = (error: Error | undefined, value?: Reply) => {
      clearTimeout(timer);
      socket.destroy();
      if (error !== undefined) reject(error);
      else resolve(value ?? null);
    };
    const timer = setTimeout(
      () => finish(new Error(`${String(args[0])} on port ${port} timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.once('error', (error) => finish(error));
    socket.once('connect', () => {
      const parts = args.map((arg) => Buffer.from(String(arg), 'utf8'));
      const header = `*${parts.length}\r\n`;
      const body = parts.map((part) =>
        Buffer.concat([Buffer.from(`$${part.length}\r\n`), part, Buffer.from('\r\n')]),
      );
      socket.write(Buffer.concat([Buffer.from(header), ...body]));
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      try {
        const reply = parseReply(received, 0);
        if (reply === undefined) return;
        if (reply.value instanceof Error) finish(reply.value);
        else finish(undefined, reply.value);
      } catch (error) {
        finish(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
}

/** Thrown by a probe when waiting longer cannot help (the process died): `waitUntil` stops at once. */
class NotComing extends Error {}

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

async function pingOk(port: number): Promise<boolean> {
  return (await redisCommand(port, ['PING'], 500)) === 'PONG';
}

/** Keeps the last lines a process printed, to explain a failed start. */
function captureOutput(child: ChildProcess, lines: string[], max = 40): void {
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

// ---------------------------------------------------------------------------------------------
// (1) Standalone through redis-memory-server, with the system binary

/**
 * A standalone server started by redis-memory-server on the system binary (its own download cannot
 * work here). RDB and AOF are off unless `args` turn them on; `dir` is a fresh temp dir.
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
      binary: { systemBinary: REDIS_SERVER },
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

// ---------------------------------------------------------------------------------------------
// (2) A directly spawned redis-server

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
      const next = spawn(REDIS_SERVER, argv, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
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

// ---------------------------------------------------------------------------------------------
// Shared pieces for the multi-process topologies

/** Time allowed for a whole Cluster or Sentinel group to become ready, in milliseconds. */
const GROUP_START_MS = 45_000;

/** Parses `INFO` / `CLUSTER INFO` text into field → value. */
function parseInfo(text: unknown): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of String(text).split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

/** Turns a flat `[key, value, key, value, …]` reply (SENTINEL MASTER and friends) into a map. */
function pairs(reply: unknown): Map<string, string> {
  const fields = new Map<string, string>();
  if (!Array.isArray(reply)) return fields;
  for (let i = 0; i + 1 < reply.length; i += 2) fields.set(String(reply[i]), String(reply[i + 1]));
  return fields;
}

/** Stops every handle, never throwing, so a cleanup path always runs to the end. */
async function stopAll(handles: Iterable<RedisServerHandle>): Promise<void> {
  await Promise.all([...handles].map((handle) => handle.stop().catch(() => {})));
}

/** Starts `count` servers in parallel; if any fails, stops the others and rethrows the first failure. */
async function startMany(count: number, start: (index: number) => Promise<RedisServerHandle>) {
  const settled = await Promise.allSettled(Array.from({ length: count }, (_, index) => start(index)));
  const started = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed !== undefined) {
    await stopAll(started);
    throw failed.reason;
  }
  return started;
}

function runRedisCli(args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(REDIS_CLI, args, { timeout: timeoutMs, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      if (error)
        reject(new Error(`redis-cli ${args.join(' ')} failed: ${error.message}\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// (3) Redis Cluster

export interface ClusterMaster {
  host: string;
  port: number;
  /** Inclusive slot ranges this master owns. */
  slots: [number, number][];
  /** The node answering the query has flagged this master as failed (`fail`), e.g. after a kill. */
  failed: boolean;
}

export interface ClusterHandle {
  /** Every node, masters first, in the roles they had when the cluster became ready. */
  nodes: { host: string; port: number }[];
  /** Slot-owning masters as seen by the first node that answers `CLUSTER NODES`. */
  masters(): Promise<ClusterMaster[]>;
  /** The process behind one node, to kill, pause or restart it; throws for an unknown port. */
  node(port: number): RedisServerHandle;
  /** Stops every node and removes their dirs. Idempotent. */
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** Number of masters; redis-cli needs at least 3. Default 3. */
  masters?: number;
  /** Replicas per master. Default 0. */
  replicasPerMaster?: number;
  /** `cluster-node-timeout` in milliseconds: how fast a silent node is flagged failed. Default 2000. */
  nodeTimeoutMs?: number;
  /** Extra redis-server arguments for every node. */
  args?: string[];
  /** Time allowed for the whole cluster to become ready, in milliseconds. Default 45000. */
  startTimeoutMs?: number;
}

interface NodeLine {
  id: string;
  port: number;
  flags: string[];
  masterId: string;
  /** `connected` or `disconnected`: the cluster-bus link to this node. */
  link: string;
  slots: [number, number][];
}

/** Parses `CLUSTER NODES`; slot fields such as `[123->-id]` (migrations) are skipped. */
function parseClusterNodes(text: unknown): NodeLine[] {
  return String(text)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [id = '', address = '', flags = '', masterId = '', , , , link = '', ...slotFields] =
        line.split(' ');
      const port = Number(address.split('@')[0]?.split(':')[1]);
      const slots: [number, number][] = [];
      for (const field of slotFields) {
        if (field.startsWith('[')) continue;
        const [from, to] = field.split('-');
        slots.push([Number(from), Number(to ?? from)]);
      }
      return { id, port, flags: flags.split(','), masterId, link, slots };
    });
}

/**
 * A Redis Cluster of `masters` masters with `replicasPerMaster` replicas each, every node in its own
 * temp dir, created with `redis-cli --cluster create`. Resolves once every node reports
 * `cluster_state:ok`, all 16384 slots served, every node known, and every replica's link up.
 */
export async function startCluster(options?: ClusterOptions): Promise<ClusterHandle> {
  const masterCount = options?.masters ?? 3;
  const replicas = options?.replicasPerMaster ?? 0;
  const nodeTimeoutMs = options?.nodeTimeoutMs ?? 2_000;
  const startTimeoutMs = options?.startTimeoutMs ?? GROUP_START_MS;
  if (!Number.isInteger(masterCount) || masterCount < 3) {
    throw new TypeError(
      `startCluster: masters must be an integer >= 3 (redis-cli refuses fewer), got ${masterCount}`,
    );
  }
  if (!Number.isInteger(replicas) || replicas < 0) {
    throw new TypeError(`startCluster: replicasPerMaster must be a nonnegative integer, got ${replicas}`);
  }
  const total = masterCount * (1 + replicas);
  const deadline = Date.now() + startTimeoutMs;
  const remaining = () => Math.max(1, deadline - Date.now());

  const handles = await startMany(total, async () =>
    startRedisProcess({
      args: [
        '--cluster-enabled',
        'yes',
        // Relative to the node's own dir (redis-server runs there), so nodes never share the file.
        '--cluster-config-file',
        'nodes.conf',
        '--cluster-node-timeout',
        String(nodeTimeoutMs),
        '--appendonly',
        'no',
        // Replicas sync at once instead of after the default 5 s diskless-sync grace period.
        '--repl-diskless-sync-delay',
        '0',
        ...(options?.args ?? []),
      ],
      startTimeoutMs: remaining(),
    }),
  );
  const byPort = new Map(handles.map((handle) => [handle.port, handle]));

  let nodes: { host: string; port: number }[];
  try {
    await runRedisCli(
      [
        '--cluster',
        'create',
        ...handles.map((handle) => `${HOST}:${handle.port}`),
        '--cluster-replicas',
        String(replicas),
        '--cluster-yes',
      ],
      remaining(),
    );
    let lastView = '';
    await waitUntil(
      `cluster of ${total} nodes (${masterCount} masters, ${replicas} replicas each)`,
      remaining(),
      async () => {
        for (const handle of handles) {
          const info = parseInfo(await redisCommand(handle.port, ['CLUSTER', 'INFO']));
          lastView = `node ${handle.port}: ${[...info].map(([k, v]) => `${k}=${v}`).join(' ')}`;
          if (info.get('cluster_state') !== 'ok') return false;
          if (info.get('cluster_slots_ok') !== '16384') return false;
          if (info.get('cluster_known_nodes') !== String(total)) return false;
          if (info.get('cluster_size') !== String(masterCount)) return false;
          const replication = parseInfo(await redisCommand(handle.port, ['INFO', 'replication']));
          lastView = `node ${handle.port}: ${[...replication].map(([k, v]) => `${k}=${v}`).join(' ')}`;
          if (replication.get('role') === 'slave' && replication.get('master_link_status') !== 'up')
            return false;
          if (
            replication.get('role') === 'master' &&
            replication.get('connected_slaves') !== String(replicas)
          ) {
            return false;
          }
          // Roles travel by gossip: a replica can still look like an empty master to some peer. Clients
          // read the topology from any node, so every node's view must be complete and healthy.
          const view = parseClusterNodes(await redisCommand(handle.port, ['CLUSTER', 'NODES']));
          lastView = `node ${handle.port} sees:\n${view
            .map((line) => `${line.port} ${line.flags.join(',')} ${line.link} ${line.slots.length} ranges`)
            .join('\n')}`;
          const healthy = view.filter(
            (line) =>
              line.link === 'connected' &&
              !line.flags.some((flag) => ['fail', 'fail?', 'handshake', 'noaddr'].includes(flag)),
          );
          const servingMasters = healthy.filter(
            (line) => line.flags.includes('master') && line.slots.length > 0,
          );
          const linkedReplicas = healthy.filter((line) => line.flags.includes('slave'));
          if (servingMasters.length !== masterCount || linkedReplicas.length !== total - masterCount)
            return false;
        }
        return true;
      },
      () => lastView,
    );
    const view = parseClusterNodes(await redisCommand(handles[0]!.port, ['CLUSTER', 'NODES']));
    const ordered = [...view].sort(
      (a, b) => Number(b.flags.includes('master')) - Number(a.flags.includes('master')) || a.port - b.port,
    );
    nodes = ordered.map((line) => ({ host: HOST, port: line.port }));
  } catch (error) {
    await stopAll(handles);
    throw error;
  }

  let stopped: Promise<void> | undefined;
  return {
    nodes,
    async masters() {
      let lastError: unknown;
      for (const handle of handles) {
        try {
          const view = parseClusterNodes(await redisCommand(handle.port, ['CLUSTER', 'NODES'], 500));
          return view
            .filter((line) => line.flags.includes('master') && line.slots.length > 0)
            .sort((a, b) => (a.slots[0]?.[0] ?? 0) - (b.slots[0]?.[0] ?? 0))
            .map((line) => ({
              host: HOST,
              port: line.port,
              slots: line.slots,
              failed: line.flags.includes('fail'),
            }));
        } catch (error) {
          lastError = error;
        }
      }
      throw new Error(`no cluster node answered CLUSTER NODES (last: ${String(lastError)})`);
    },
    node(port) {
      const handle = byPort.get(port);
      if (handle === undefined) throw new Error(`port ${port} is not a node of this cluster`);
      return handle;
    },
    stop() {
      stopped ??= stopAll(handles);
      return stopped;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// (4) Sentinel

export interface SentinelHandle {
  /** The monitored master group's name. */
  name: string;
  /** The three Sentinels, in start order. */
  sentinels: { host: string; port: number }[];
  /** The server that was master when the group became ready (after a failover it may be a replica). */
  master: RedisServerHandle;
  /** The server that was the replica when the group became ready. */
  replica: RedisServerHandle;
  /** The master address according to the first Sentinel that answers. */
  currentMaster(): Promise<{ host: string; port: number }>;
  /** The process behind one Sentinel, to kill, pause or restart it; throws for an unknown port. */
  sentinel(port: number): RedisServerHandle;
  /** Stops the Sentinels, then the servers, and removes every dir. Idempotent. */
  stop(): Promise<void>;
}

export interface SentinelGroupOptions {
  /** Master group name. Default `mymaster`. */
  name?: string;
  /** `down-after-milliseconds`: how long a silent master takes to count as down. Default 2000. */
  downAfterMs?: number;
  /** `failover-timeout` in milliseconds; a failed failover is retried after twice this. Default 5000. */
  failoverTimeoutMs?: number;
  /** Extra redis-server arguments for the master and the replica. */
  args?: string[];
  /** Time allowed for the whole group to become ready, in milliseconds. Default 45000. */
  startTimeoutMs?: number;
}

const SENTINEL_QUORUM = 2;
const SENTINEL_COUNT = 3;

/**
 * One master, one replica and three Sentinels (quorum 2), all on 127.0.0.1. Resolves once every
 * Sentinel reports the master, sees the replica with a working link, knows the two other Sentinels,
 * and `SENTINEL CKQUORUM` confirms a failover could be authorised.
 */
export async function startSentinelGroup(options?: SentinelGroupOptions): Promise<SentinelHandle> {
  const name = options?.name ?? 'mymaster';
  const downAfterMs = options?.downAfterMs ?? 2_000;
  const failoverTimeoutMs = options?.failoverTimeoutMs ?? 5_000;
  const startTimeoutMs = options?.startTimeoutMs ?? GROUP_START_MS;
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
    throw new TypeError(`startSentinelGroup: name must match [A-Za-z0-9_.-]+, got ${JSON.stringify(name)}`);
  }
  const deadline = Date.now() + startTimeoutMs;
  const remaining = () => Math.max(1, deadline - Date.now());
  // Replicas sync at once instead of after the default 5 s diskless-sync grace period.
  const serverArgs = ['--repl-diskless-sync-delay', '0', ...(options?.args ?? [])];

  const started: RedisServerHandle[] = [];
  const sentinelDirs: string[] = [];
  const cleanup = async () => {
    // Sentinels first, so that none of them reacts to the servers going away.
    await stopAll(started.slice(2));
    await stopAll(started.slice(0, 2));
    for (const dir of sentinelDirs) removeTempDir(dir);
  };

  try {
    const master = await startRedisProcess({ args: serverArgs, startTimeoutMs: remaining() });
    started.push(master);
    const replica = await startRedisProcess({
      args: [...serverArgs, '--replicaof', HOST, String(master.port)],
      startTimeoutMs: remaining(),
    });
    started.push(replica);
    // Sentinels learn replicas from the master's INFO, which they read once on connect and then only
    // every 10 s: the replica must be attached before they start, or discovery waits for that period.
    await waitUntil(`replica ${replica.port} of master ${master.port}`, remaining(), async () => {
      const replication = parseInfo(await redisCommand(replica.port, ['INFO', 'replication']));
      const masterSide = parseInfo(await redisCommand(master.port, ['INFO', 'replication']));
      return replication.get('master_link_status') === 'up' && masterSide.get('connected_slaves') === '1';
    });

    const sentinels = await startMany(SENTINEL_COUNT, async () => {
      const port = await freePort();
      const dir = makeTempDir('sentinel');
      sentinelDirs.push(dir);
      // Sentinel rewrites this file (its id, discovered peers, epochs), so it lives in a writable dir.
      const config = path.join(dir, 'sentinel.conf');
      writeFileSync(
        config,
        [
          `sentinel monitor ${name} ${HOST} ${master.port} ${SENTINEL_QUORUM}`,
          `sentinel down-after-milliseconds ${name} ${downAfterMs}`,
          `sentinel failover-timeout ${name} ${failoverTimeoutMs}`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      return startRedisProcess({ port, dir, sentinelConfig: config, startTimeoutMs: remaining() });
    });
    started.push(...sentinels);

    let lastView = '';
    await waitUntil(
      `sentinel group ${name} (master ${master.port}, replica ${replica.port}, sentinels ${sentinels
        .map((s) => s.port)
        .join(', ')})`,
      remaining(),
      async () => {
        for (const sentinel of sentinels) {
          const state = pairs(await redisCommand(sentinel.port, ['SENTINEL', 'MASTER', name]));
          lastView = `sentinel ${sentinel.port} master: ${[...state].map(([k, v]) => `${k}=${v}`).join(' ')}`;
          if (state.get('port') !== String(master.port) || state.get('flags') !== 'master') return false;
          if (
            state.get('num-slaves') !== '1' ||
            state.get('num-other-sentinels') !== String(SENTINEL_COUNT - 1)
          ) {
            return false;
          }
          const replicaStates = (await redisCommand(sentinel.port, [
            'SENTINEL',
            'REPLICAS',
            name,
          ])) as unknown[];
          const seen = pairs(replicaStates[0]);
          lastView = `sentinel ${sentinel.port} replica: ${[...seen].map(([k, v]) => `${k}=${v}`).join(' ')}`;
          if (seen.get('port') !== String(replica.port) || seen.get('flags') !== 'slave') return false;
          if (seen.get('master-link-status') !== 'ok') return false;
          const peers = (await redisCommand(sentinel.port, ['SENTINEL', 'SENTINELS', name])) as unknown[];
          lastView = `sentinel ${sentinel.port} peers: ${peers.map((peer) => pairs(peer).get('flags')).join(', ')}`;
          if (peers.length !== SENTINEL_COUNT - 1) return false;
          if (!peers.every((peer) => pairs(peer).get('flags') === 'sentinel')) return false;
          lastView = `sentinel ${sentinel.port}: SENTINEL CKQUORUM failed`;
          await redisCommand(sentinel.port, ['SENTINEL', 'CKQUORUM', name]);
        }
        return true;
      },
      () => lastView,
    );

    const byPort = new Map(sentinels.map((sentinel) => [sentinel.port, sentinel]));
    let stopped: Promise<void> | undefined;
    return {
      name,
      sentinels: sentinels.map((sentinel) => ({ host: HOST, port: sentinel.port })),
      master,
      replica,
      async currentMaster() {
        let lastError: unknown;
        for (const sentinel of sentinels) {
          try {
            const reply = await redisCommand(
              sentinel.port,
              ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name],
              500,
            );
            if (Array.isArray(reply) && reply.length === 2) {
              return { host: String(reply[0]), port: Number(reply[1]) };
            }
            lastError = new Error(`sentinel ${sentinel.port} answered ${JSON.stringify(reply)}`);
          } catch (error) {
            lastError = error;
          }
        }
        throw new Error(`no sentinel reported the master of ${name} (last: ${String(lastError)})`);
      },
      sentinel(port) {
        const handle = byPort.get(port);
        if (handle === undefined) throw new Error(`port ${port} is not a sentinel of this group`);
        return handle;
      },
      stop() {
        stopped ??= cleanup();
        return stopped;
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
