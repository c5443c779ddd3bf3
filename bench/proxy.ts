// A delaying TCP proxy on 127.0.0.1 for the network benchmark: every byte between a client and the target
// port is held for a fixed delay each way (so a round trip costs twice the delay more than on loopback).
// The proxy runs in a child process (bench/proxy-process.ts; see there how it keeps the delay exact).
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ProxyStats {
  /** Bytes and reads from clients towards the target ("up") and back ("down"), since the proxy started. */
  up: { bytes: number; chunks: number };
  down: { bytes: number; chunks: number };
  connections: number;
  /** How late the proxy wrote chunks past their due time, in ms, since the last resetLateness(). */
  lateMedianMs: number;
  lateP99Ms: number;
  lateMaxMs: number;
  writes: number;
}

export interface DelayProxy {
  /** The port clients connect to instead of the target's. */
  port: number;
  delayMs: number;
  stats(): Promise<ProxyStats>;
  resetLateness(): void;
  close(): Promise<void>;
}

const CHILD = fileURLToPath(new URL('./proxy-process.ts', import.meta.url));

function request<T>(child: ChildProcess, type: string, answer: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { type: string }) => {
      if (message.type !== answer) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message as T);
    };
    const onExit = (code: number | null) => {
      child.off('message', onMessage);
      reject(new Error(`the delay proxy exited (code ${code}) before answering ${type}`));
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
    if (type !== '') child.send({ type });
  });
}

/** Starts a proxy to 127.0.0.1:`targetPort` that delays each direction by `delayMs` milliseconds. */
export async function startDelayProxy(targetPort: number, delayMs: number): Promise<DelayProxy> {
  if (!(Number.isFinite(delayMs) && delayMs >= 0)) {
    throw new Error(`the proxy delay must be a number of milliseconds ≥ 0, got ${delayMs}`);
  }
  const child = fork(CHILD, [], {
    // The child is TypeScript too: the same loader the benchmark runs under.
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, PROXY_TARGET_PORT: String(targetPort), PROXY_DELAY_MS: String(delayMs) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const { port } = await request<{ port: number }>(child, '', 'ready');
  return {
    port,
    delayMs,
    stats: () => request<ProxyStats>(child, 'stats', 'stats'),
    resetLateness: () => child.send({ type: 'reset-lateness' }),
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send({ type: 'close' });
      await exited;
    },
  };
}
