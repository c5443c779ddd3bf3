// Starts the one throwaway redis-server the Redis benchmarks use: loopback only, no persistence, on a free
// port; ready once it answers PING, and always stopped again, also when the benchmark fails.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createConnection, createServer } from 'node:net';

const REDIS_SERVER = '/usr/bin/redis-server';
/** How long the server may take to answer PING, in milliseconds. */
const START_TIMEOUT_MS = 10_000;
/** How long it may take to exit after SIGTERM before it is killed, in milliseconds. */
const STOP_TIMEOUT_MS = 5_000;

export interface BenchRedis {
  url: string;
  port: number;
  /** `redis-server --version` output, first line. */
  version: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('could not pick a free port');
  return address.port;
}

/** One PING over a fresh socket; resolves true on +PONG, false on any failure within 500 ms. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

async function serverVersion(): Promise<string> {
  const child = spawn(REDIS_SERVER, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  await once(child, 'close');
  return out.trim().split('\n')[0] ?? 'unknown';
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

export async function startRedis(): Promise<BenchRedis> {
  const version = await serverVersion();
  const port = await freePort();
  const child = spawn(
    REDIS_SERVER,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  // A crash of the benchmark process, or an interrupt, must not leave the server behind.
  const killOnExit = () => child.kill('SIGKILL');
  const killOnSignal = (signal: NodeJS.Signals) => {
    child.kill('SIGKILL');
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('exit', killOnExit);
  process.once('SIGINT', killOnSignal);
  process.once('SIGTERM', killOnSignal);
  const stop = async () => {
    process.off('exit', killOnExit);
    process.off('SIGINT', killOnSignal);
    process.off('SIGTERM', killOnSignal);
    await stopChild(child);
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}: ${stderr}`);
      if (await ping(port)) break;
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING in time`);
      // Poll again shortly; the loop ends on the first PONG.
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `redis://127.0.0.1:${port}`, port, version, stop };
}
